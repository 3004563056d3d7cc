import Foundation
import StudioCore
import StudioIO
import StudioModels

extension TrainingJob {
    /// A `VariationalTask` after checking the data fits the config; the held-out split comes from the
    /// same directory (`t10k-*` files), since the test ELBO is part of every VAE run, unless `test` gives it.
    static func makeVariationalTask(_ config: VAEConfig, recipe: Recipe, data: any LabelledExamples,
                                    test given: (any LabelledExamples)? = nil, recipePath: String) throws -> TrainingTask {
        guard data.exampleShape == Shape(config.imageShape) else {
            throw DatasetError("images in \(recipe.data.path) are \(data.exampleShape), but model.image_shape in \(recipePath) is \(config.imageShape)")
        }
        let test: any LabelledExamples
        do {
            test = try given ?? loadSplit(recipe, split: .test, recipePath: recipePath).examples
        } catch {
            throw DatasetError("\(error)\nA VAE run reports the test-set ELBO, so \(recipe.data.path) needs the test split too (t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz], or a test/ audio folder beside train/).")
        }
        guard test.exampleShape == data.exampleShape else {
            throw DatasetError("test images in \(recipe.data.path) are \(test.exampleShape), training images \(data.exampleShape)")
        }
        if config.isConditional {
            for (name, set) in [("training", data), ("test", test)] {
                guard !set.labels.isEmpty, let top = set.labels.max(), top < config.classCount, set.labels.min()! >= 0 else {
                    throw DatasetError("a conditional VAE (model.classes = \(config.classCount)) needs \(name) labels in 0..<\(config.classCount) in \(recipe.data.path)")
                }
            }
        }
        return try VariationalTask(config: config, settings: recipe.train, sampleCount: recipe.sample.count, test: test)
    }
}
