import Foundation
import StudioCore
import StudioIO
import StudioModels

extension TrainingJob {
    /// A `ClassificationTask` after checking the data fits the config; the held-out split comes from
    /// the same directory (`t10k-*` files), since test accuracy is what a classifier run reports,
    /// unless `test` gives it.
    static func makeClassificationTask(_ config: ClassifierConfig, recipe: Recipe, data: any LabelledExamples,
                                       test given: (any LabelledExamples)? = nil, recipePath: String) throws -> TrainingTask {
        let test: any LabelledExamples
        do {
            test = try given ?? loadSplit(recipe, split: .test, recipePath: recipePath).examples
        } catch {
            throw DatasetError("\(error)\nA classifier run reports test accuracy, so \(recipe.data.path) needs the test split too (t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz], or a test/ audio folder beside train/).")
        }
        try checkClassifierData(config, data: data, name: "training", place: recipe.data.path, recipePath: recipePath)
        try checkClassifierData(config, data: test, name: "test", place: recipe.data.path, recipePath: recipePath)
        return try ClassificationTask(config: config, settings: recipe.train, test: test)
    }

    /// Throws unless `data` holds `config.imageShape` images with labels in `0..<classes`.
    static func checkClassifierData(_ config: ClassifierConfig, data: any LabelledExamples, name: String, place: String,
                                    recipePath: String) throws {
        guard data.exampleShape == Shape(config.imageShape) else {
            throw DatasetError("\(name) images in \(place) are \(data.exampleShape), but model.image_shape in \(recipePath) is \(config.imageShape)")
        }
        guard !data.labels.isEmpty, let low = data.labels.min(), let high = data.labels.max(),
              low >= 0, high < config.classCount else {
            let found = data.labels.isEmpty ? "none" : "\(data.labels.min()!)...\(data.labels.max()!)"
            throw DatasetError("a classifier (model.classes = \(config.classCount) in \(recipePath)) needs \(name) labels in 0..<\(config.classCount) in \(place); found \(found)")
        }
    }
}
