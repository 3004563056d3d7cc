import Foundation
import StudioIO
import StudioModels

extension TrainingJob {
    /// The file in a semi-supervised run's directory naming its labelled examples.
    public static let labelledFileName = "labelled.json"

    /// An `AdversarialTask` under the semi-supervised loss: `data.labelled_per_class` examples of each
    /// of the discriminator's classes, drawn from `data.subset_seed` as `data.per_class` draws them,
    /// keep their labels; every training example (those included) also serves unlabelled. The test
    /// split scores the discriminator as a classifier.
    static func makeSemiSupervisedTask(_ config: GANConfig, recipe: Recipe, data: any LabelledExamples,
                                       test given: (any LabelledExamples)?, recipePath: String) throws -> AdversarialTask {
        guard let perClass = recipe.data.labelledPerClass else {
            throw RecipeError("\(recipePath): a semi-supervised GAN (model.discriminator_classes) learns classes from data.labelled_per_class labelled examples of each; set it (such as 10)")
        }
        let labelled = try labelledSubset(perClass: perClass, classes: config.discriminatorClasses, data: data,
                                          recipe: recipe, recipePath: recipePath)
        let test: any LabelledExamples
        do {
            test = try given ?? loadSplit(recipe, split: .test, recipePath: recipePath).examples
        } catch {
            throw DatasetError("\(error)\nA semi-supervised GAN reports its discriminator's test accuracy, so \(recipe.data.path) needs the test split too (t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]).")
        }
        guard test.labels.count == test.count, test.labels.allSatisfy({ (0..<config.discriminatorClasses).contains($0) }) else {
            throw DatasetError("\(recipe.data.path): the test split's labels must lie in 0..<\(config.discriminatorClasses) (model.discriminator_classes)")
        }
        return try AdversarialTask(config: config, settings: recipe.train, sampleCount: recipe.sample.count,
                                   labelled: labelled.examples(of: data), test: test)
    }

    /// The labelled examples of a semi-supervised run: K of each class, as `ClassSubset` draws them.
    static func labelledSubset(perClass: Int, classes: Int, data: any LabelledExamples, recipe: Recipe,
                               recipePath: String) throws -> ClassSubset {
        guard data.labels.count == data.count else {
            throw DatasetError("data.labelled_per_class = \(perClass) in \(recipePath) needs labels for the training examples of \(recipe.data.path) (train-labels-idx1-ubyte[.gz])")
        }
        do {
            return try ClassSubset(perClass: perClass, labels: data.labels, classes: classes, seed: recipe.data.subsetSeed)
        } catch {
            throw DatasetError("data.labelled_per_class = \(perClass) in \(recipePath) asks for \(perClass) examples of class \(error.label), but the training split of \(recipe.data.path) has only \(error.available)")
        }
    }

    /// Writes `labelled.json` (which examples kept their labels) into a semi-supervised GAN's or VAE's run.
    static func writeLabelled(_ recipe: Recipe, data: any LabelledExamples, into run: URL, recipePath: String) throws {
        guard let classes = recipe.model.semiSupervisedClassCount, let perClass = recipe.data.labelledPerClass else { return }
        try labelledSubset(perClass: perClass, classes: classes, data: data, recipe: recipe,
                           recipePath: recipePath).write(into: run, name: labelledFileName)
    }

    /// Checks that a resumed semi-supervised run draws the labelled examples it started with
    /// (`labelled.json`), so that it never continues with other labels, for instance after the data changed.
    static func checkLabelled(_ recipe: Recipe, data: any LabelledExamples, run: URL, recipePath: String) throws {
        guard let classes = recipe.model.semiSupervisedClassCount, let perClass = recipe.data.labelledPerClass else { return }
        let file = run.appendingPathComponent(labelledFileName)
        guard let recorded = try ClassSubset.read(from: run, name: labelledFileName) else {
            throw DatasetError("\(run.path) has no \(labelledFileName) saying which examples kept their labels; the run cannot resume")
        }
        let drawn = try labelledSubset(perClass: perClass, classes: classes, data: data, recipe: recipe,
                                       recipePath: recipePath)
        guard drawn == recorded else {
            throw DatasetError("data.labelled_per_class = \(perClass), data.subset_seed = \(recipe.data.subsetSeed) now draws other labelled examples of \(recipe.data.path) than the run started with (\(file.path)); has the data changed?")
        }
    }
}
