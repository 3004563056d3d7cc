import Foundation
import StudioIO

extension TrainingJob {
    /// `loaded` cut to `perClass` examples of each class, drawn from `data.subset_seed` by
    /// `ClassSubset`. The classes are the model's (`model.classes`), or for a model without classes
    /// every label up to the largest, so that an unconditional GAN and a classifier trained on the
    /// same K and seed see the same images.
    static func subsetting(_ loaded: LoadedExamples, perClass: Int, recipe: Recipe, recipePath: String) throws -> LoadedExamples {
        let full = loaded.examples, place = recipe.data.path
        guard let largest = full.labels.max() else {
            let expected = recipe.audio == nil ? "an MNIST-format labels file (train-labels-idx1-ubyte[.gz])"
                : "audio files in one subfolder per class (<class>/<file>.wav)"
            throw DatasetError("data.per_class = \(perClass) in \(recipePath) draws examples class by class, but the training examples in \(place) have no labels; expected \(expected)")
        }
        // Checked on the whole split, so that labels the subset would leave out are still refused.
        try checkData(full, fit: recipe.model, name: "training", place: place, recipePath: recipePath)
        let classes = recipe.model.classCount > 0 ? recipe.model.classCount : largest + 1
        let subset: ClassSubset
        do {
            subset = try ClassSubset(perClass: perClass, labels: full.labels, classes: classes, seed: recipe.data.subsetSeed)
        } catch {
            throw DatasetError("data.per_class = \(perClass) in \(recipePath) asks for \(perClass) examples of class \(error.label), but the training split of \(place) has only \(error.available)")
        }
        var cut = loaded
        cut.examples = subset.examples(of: full)
        cut.subset = subset
        return cut
    }

    /// Checks that the recipe draws the subset the run started with (`subset.json`), so that a resumed
    /// run never continues on other examples, for instance after the data at `data.path` changed.
    static func checkSubset(_ subset: ClassSubset?, recordedIn run: RunDirectory, dataPath: String) throws {
        let recorded = try ClassSubset.read(from: run.url)
        let file = run.url.appendingPathComponent(ClassSubset.fileName).path
        switch (subset, recorded) {
        case (nil, nil):
            return
        case (nil, .some):
            throw DatasetError("\(file) records a subset of the training data, but \(run.recipe.path) has no data.per_class; the run cannot resume on the whole split")
        case (.some(let subset), nil):
            throw DatasetError("\(run.recipe.path) has data.per_class = \(subset.perClass), but the run has no \(ClassSubset.fileName) saying which examples it started on")
        case (.some(let subset), .some(let recorded)):
            guard subset != recorded else { return }
            throw DatasetError("data.per_class = \(subset.perClass), data.subset_seed = \(subset.seed) now draws other examples of \(dataPath) than the run started on (\(file): per_class \(recorded.perClass), seed \(recorded.seed), \(recorded.count) examples); has the data changed?")
        }
    }
}
