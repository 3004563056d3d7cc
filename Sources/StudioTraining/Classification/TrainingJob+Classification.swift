import Foundation
import StudioCore
import StudioIO
import StudioModels

extension TrainingJob {
    /// A `ClassificationTask` after checking the test split fits the config (the caller checked the
    /// training data); the held-out split comes from the same directory (`t10k-*` files), since test
    /// accuracy is what a classifier run reports, unless `test` gives it.
    static func makeClassificationTask(_ config: ClassifierConfig, recipe: Recipe, data: any LabelledExamples,
                                       test given: (any LabelledExamples)? = nil, recipePath: String) throws -> TrainingTask {
        let test: any LabelledExamples
        do {
            test = try given ?? loadSplit(recipe, split: .test, recipePath: recipePath).examples
        } catch {
            throw DatasetError("\(error)\nA classifier run reports test accuracy, so \(recipe.data.path) needs the test split too (t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz], or a test/ audio folder beside train/).")
        }
        try checkData(test, fit: .classifier(config), name: "test", place: recipe.data.path, recipePath: recipePath)
        let augmentation = recipe.augment.flatMap { $0.isEnabled ? ClassicalAugmentation(settings: $0) : nil }
        return try ClassificationTask(config: config, settings: recipe.train, test: test, augmentation: augmentation)
    }
}
