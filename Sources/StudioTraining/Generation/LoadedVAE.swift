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
    /// How its outputs become sound, for a spectrogram VAE; nil for images.
    public let audio: AudioSettings?

    /// The model's config.
    public var vaeConfig: VAEConfig { vae.config }

    /// Builds the VAE `config` describes and loads `weights` (read from `source`) into it.
    public init(config: VAEConfig, weights: SafeTensors, source: URL, step: Int?, audio: AudioSettings?) throws {
        var generator = RandomStream.initialization.generator(seed: 0)
        vae = try VAE(config: config, using: &generator)
        try GeneratorLoader.restore(weights, into: vae, source: source)
        self.step = step
        self.source = source
        self.audio = audio
    }

    /// Loads CHECKPOINT (a run directory, checkpoint directory or `model.safetensors`); a checkpoint
    /// of another family is an error naming the family.
    public static func load(checkpoint path: URL) throws -> LoadedVAE {
        try GeneratorLoader.load(checkpoint: path).requiring(LoadedVAE.self, "a VAE", purpose: "--reconstruct, --manifold and --classes need a VAE checkpoint")
    }

    /// Loads weights written by another tool into the VAE a recipe describes.
    public static func load(recipe: URL, weights: URL) throws -> LoadedVAE {
        try GeneratorLoader.load(recipe: recipe, weights: weights).requiring(LoadedVAE.self, "a VAE")
    }
}

extension LoadedVAE: LatentWalking, Reconstructing {
    public var config: ModelConfig { .vae(vae.config) }
    public var familyName: String { "VAE" }
    public var abilities: GeneratorAbilities {
        vae.config.isConditional ? [.classes, .latentWalk, .reconstruction] : [.latentWalk, .reconstruction]
    }
    public var classCount: Int { vae.config.classCount }
    public var exampleShape: [Int] { vae.config.imageShape }
    public var noiseShape: [Int] { [vae.config.latentSize] }
    public var valueRange: ClosedRange<Float> { 0...1 }
    public var settings: [String: String] { ["sampler": "prior"] }
    public var preferredChunk: Int? { nil }

    /// Prior latents from one stream for the whole range.
    public func initialNoise(seed: UInt64, first: Int, count: Int) -> Tensor {
        streamNoise(seed: seed, first: first, count: count)
    }

    public func draw(noise: Tensor, labels: [Int]?, stepNoise: inout RandomGenerator,
                     progress: (Int, Int) -> Void) throws -> Tensor {
        decode(latents: noise, labels: labels ?? [])
    }

    /// Straight lines, the paths along which a VAE's decoder was trained to be smooth.
    public func walk(_ latents: Tensor, steps: Int) throws -> Tensor {
        try LatentPath.walk(latents, steps: steps, along: LatentPath.line)
    }
}
