import Foundation
import StudioCore
import StudioIO
import StudioModels

extension TrainingJob {
    /// A `VariationalTask` after checking the data fits the config; the held-out split comes from the
    /// same directory (`t10k-*` files), since the test ELBO is part of every VAE run.
    static func makeVariationalTask(_ config: VAEConfig, recipe: Recipe, data: ImageDataset, recipePath: String) throws -> TrainingTask {
        guard data.imageShape == Shape(config.imageShape) else {
            throw DatasetError("images in \(recipe.data.path) are \(data.imageShape), but model.image_shape in \(recipePath) is \(config.imageShape)")
        }
        let test: ImageDataset
        do {
            test = try ImageDataset.mnistFormat(directory: URL(fileURLWithPath: recipe.data.path), split: .test)
        } catch {
            throw DatasetError("\(error)\nA VAE run reports the test-set ELBO, so \(recipe.data.path) needs the test split (t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]) too.")
        }
        guard test.imageShape == data.imageShape else {
            throw DatasetError("test images in \(recipe.data.path) are \(test.imageShape), training images \(data.imageShape)")
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
