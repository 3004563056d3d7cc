import Foundation
import StudioCore
import StudioIO
import StudioModels

/// A model rebuilt from a checkpoint (or a recipe plus foreign weights), ready to sample.
public struct LoadedModel {
    public let config: ModelConfig
    public let gan: GAN
    /// The training step the weights come from, when the file says.
    public let step: Int?
    /// The file the weights came from.
    public let source: URL

    /// Loads CHECKPOINT: a run directory (its latest checkpoint), a checkpoint directory or a `model.safetensors`.
    public static func load(checkpoint path: URL) throws -> LoadedModel {
        try CheckpointLoading.load(checkpoint: path, build: build)
    }

    /// Loads weights written by another tool (a PyTorch state dict saved with safetensors) into the
    /// model a recipe describes.
    public static func load(recipe: URL, weights: URL) throws -> LoadedModel {
        try CheckpointLoading.load(recipe: recipe, weights: weights, build: build)
    }

    static func build(_ config: ModelConfig, weights: SafeTensors, source: URL, step: Int?) throws -> LoadedModel {
        switch config {
        case .gan(let ganConfig):
            var generator = RandomStream.initialization.generator(seed: 0)
            let gan = try GAN(config: ganConfig, using: &generator)
            try CheckpointLoading.restore(weights, into: gan, source: source)
            return LoadedModel(config: config, gan: gan, step: step, source: source)
        case .vae:
            throw SampleError("\(source.path) holds a VAE; load it with LoadedVAE")
        case .diffusion:
            throw SampleError("\(source.path) holds a diffusion model; load it with LoadedDiffusion")
        case .classifier:
            throw SampleError("\(source.path) holds a classifier, which generates nothing; sampling takes a GAN, VAE or diffusion checkpoint")
        }
    }
}
