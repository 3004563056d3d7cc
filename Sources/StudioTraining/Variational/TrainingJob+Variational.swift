import Foundation
import StudioCore
import StudioIO
import StudioModels

extension TrainingJob {
    /// A `VariationalTask` after checking the test split fits the config (the caller checked the
    /// training data); the held-out split comes from the same directory (`t10k-*` files), since the
    /// test ELBO is part of every VAE run, unless `test` gives it. A semi-supervised VAE reads the labels
    /// of `data.labelled_per_class` examples of each class only.
    static func makeVariationalTask(_ config: VAEConfig, recipe: Recipe, data: any LabelledExamples,
                                    test given: (any LabelledExamples)? = nil, recipePath: String) throws -> TrainingTask {
        let test: any LabelledExamples
        do {
            test = try given ?? loadSplit(recipe, split: .test, recipePath: recipePath).examples
        } catch {
            throw DatasetError("\(error)\nA VAE run reports the test-set ELBO, so \(recipe.data.path) needs the test split too (t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz], or a test/ audio folder beside train/).")
        }
        try checkData(test, fit: .vae(config), name: "test", place: recipe.data.path, recipePath: recipePath)
        var labelled: (any LabelledExamples)?
        if config.isSemiSupervised {
            guard let perClass = recipe.data.labelledPerClass else {
                throw RecipeError("\(recipePath): a semi-supervised VAE (model.classifier) learns classes from data.labelled_per_class labelled examples of each; set it (such as 10)")
            }
            labelled = try labelledSubset(perClass: perClass, classes: config.classCount, data: data, recipe: recipe,
                                          recipePath: recipePath).examples(of: data)
        }
        let augmentation = recipe.augment.flatMap { $0.isEnabled ? ClassicalAugmentation(settings: $0) : nil }
        return try VariationalTask(config: config, settings: recipe.train, sampleCount: recipe.sample.count, test: test,
                                   labelled: labelled, augmentation: augmentation)
    }
}
