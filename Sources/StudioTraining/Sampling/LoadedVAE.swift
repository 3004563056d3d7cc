import Foundation
import StudioCore
import StudioIO
import StudioModels

/// A VAE rebuilt from a checkpoint (or a recipe plus foreign weights), ready to sample, reconstruct,
/// interpolate and draw its latent manifold.
public struct LoadedVAE {
    public let vae: VAE
    /// The training step the weights come from, when the file says.
    public let step: Int?
    /// The file the weights came from.
    public let source: URL

    /// The model's config.
    public var config: VAEConfig { vae.config }

    /// Loads CHECKPOINT (a run directory, checkpoint directory or `model.safetensors`); a checkpoint
    /// of another family is an error naming the family.
    public static func load(checkpoint path: URL) throws -> LoadedVAE {
        try CheckpointLoading.load(checkpoint: path, build: build)
    }

    /// Loads weights written by another tool into the VAE a recipe describes.
    public static func load(recipe: URL, weights: URL) throws -> LoadedVAE {
        try CheckpointLoading.load(recipe: recipe, weights: weights, build: build)
    }

    static func build(_ config: ModelConfig, weights: SafeTensors, source: URL, step: Int?) throws -> LoadedVAE {
        guard case .vae(let vaeConfig) = config else {
            throw SampleError("\(source.path) holds a \(config.family) model, not a VAE; --reconstruct, --manifold and --class need a VAE checkpoint")
        }
        var generator = RandomStream.initialization.generator(seed: 0)
        let vae = try VAE(config: vaeConfig, using: &generator)
        try CheckpointLoading.restore(weights, into: vae, source: source)
        return LoadedVAE(vae: vae, step: step, source: source)
    }
}
