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
        let (file, tensors) = try LoadedModel.readCheckpoint(path)
        let config = try ModelCheckpoint.config(of: tensors, path: file.path)
        return try build(config, weights: tensors, source: file, step: tensors.metadata["step"].flatMap(Int.init))
    }

    /// Loads weights written by another tool into the VAE a recipe describes.
    public static func load(recipe: URL, weights: URL) throws -> LoadedVAE {
        let (parsed, _) = try RecipeLoader.load(recipe)
        return try build(parsed.model, weights: try SafeTensors.read(from: weights), source: weights, step: nil)
    }

    static func build(_ config: ModelConfig, weights: SafeTensors, source: URL, step: Int?) throws -> LoadedVAE {
        guard case .vae(let vaeConfig) = config else {
            throw SampleError("\(source.path) holds a \(config.family) model, not a VAE; --reconstruct, --manifold and --class need a VAE checkpoint")
        }
        var generator = RandomStream.initialization.generator(seed: 0)
        let vae = try VAE(config: vaeConfig, using: &generator)
        do {
            try ModelCheckpoint.load(weights, into: vae)
        } catch {
            throw FileFormatError(path: source.path, "weights do not match the model:\n\(error)")
        }
        return LoadedVAE(vae: vae, step: step, source: source)
    }
}

extension LoadedModel {
    /// The `model.safetensors` a user's CHECKPOINT path names, and its contents.
    static func readCheckpoint(_ path: URL) throws -> (file: URL, tensors: SafeTensors) {
        let directory = try Checkpoint.resolve(path)
        let file = path.pathExtension == "safetensors" ? path : directory.appendingPathComponent(Checkpoint.modelFile)
        return (file, try SafeTensors.read(from: file))
    }

    /// The model family stored in a checkpoint's metadata ("gan", "vae"), so a caller can pick the loader.
    public static func family(checkpoint path: URL) throws -> String {
        let (file, tensors) = try readCheckpoint(path)
        return try ModelCheckpoint.config(of: tensors, path: file.path).family
    }
}
