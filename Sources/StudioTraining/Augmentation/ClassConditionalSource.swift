import Foundation
import StudioCore
import StudioModels

/// A trained model that draws images of chosen classes: what an augmentation job samples from.
public protocol ClassConditionalSource {
    /// Classes the model can be asked for: labels `0..<classCount`.
    var classCount: Int { get }
    /// One image's shape `[C, H, W]`.
    var imageShape: [Int] { get }
    /// One sample's initial noise shape (a latent `[D]`, or x_T `[C, H, W]`).
    var noiseShape: [Int] { get }
    /// The settings that decide the samples besides seed and class, recorded in the manifest.
    var settings: [String: String] { get }
    /// Images `[N, C, H, W]` in 0...1 of classes `labels` from each sample's initial noise
    /// `[N] + noiseShape`; a sampler's other randomness (DDPM step noise) comes from `generator`.
    func images(labels: [Int], noise: Tensor, generator: inout RandomGenerator) throws -> Tensor
}

/// A class-conditional diffusion model with fixed sampler options.
public struct DiffusionSource: ClassConditionalSource {
    public let model: LoadedDiffusion
    public let options: DiffusionSampleOptions

    /// Wraps `model`; fails for an unconditional model or options the sampler rejects.
    public init(model: LoadedDiffusion, options: DiffusionSampleOptions) throws {
        guard model.config.isConditional else {
            throw SampleError("\(model.source.path) holds an unconditional diffusion model (model.classes = 0); augmentation jobs need a class-conditional checkpoint")
        }
        try model.sampler.check(options, labels: [0])
        self.model = model
        self.options = options
    }

    public var classCount: Int { model.config.classes }
    public var imageShape: [Int] { model.config.imageShape }
    public var noiseShape: [Int] { model.config.imageShape }
    public var settings: [String: String] {
        ["sampler": options.sampler.rawValue, "steps": String(options.resolvedSteps(timesteps: model.config.timesteps)),
         "eta": String(options.eta), "guidance": String(options.guidance),
         "weights": model.usesAveragedWeights ? "ema" : "trained"]
    }

    public func images(labels: [Int], noise: Tensor, generator: inout RandomGenerator) throws -> Tensor {
        let result = try model.sampler.sample(noise: noise, labels: labels, options: options, generator: &generator)
        return (result.images + 1) * 0.5
    }
}

/// A conditional VAE decoding prior latents.
public struct VAESource: ClassConditionalSource {
    public let model: LoadedVAE

    /// Wraps `model`; fails for a VAE trained without classes.
    public init(model: LoadedVAE) throws {
        guard model.config.isConditional else {
            throw SampleError("\(model.source.path) holds an unconditional VAE (model.classes = 0); augmentation jobs need a class-conditional checkpoint")
        }
        self.model = model
    }

    public var classCount: Int { model.config.classCount }
    public var imageShape: [Int] { model.config.imageShape }
    public var noiseShape: [Int] { [model.config.latentSize] }
    public var settings: [String: String] { ["sampler": "prior"] }

    public func images(labels: [Int], noise: Tensor, generator: inout RandomGenerator) throws -> Tensor {
        model.decode(latents: noise, labels: labels)
    }
}

/// A class-conditional GAN's generator.
public struct GANSource: ClassConditionalSource {
    public let model: LoadedModel

    /// Wraps `model`; fails for a GAN trained without classes.
    public init(model: LoadedModel) throws {
        guard model.gan.config.isConditional else {
            throw SampleError("\(model.source.path) holds an unconditional GAN (model.classes = 0); augmentation jobs need a class-conditional checkpoint")
        }
        self.model = model
    }

    public var classCount: Int { model.gan.config.classCount }
    public var imageShape: [Int] { model.gan.config.imageShape }
    public var noiseShape: [Int] { [model.gan.config.latentSize] }
    public var settings: [String: String] { ["sampler": "generator", "normalisation": "running statistics"] }

    public func images(labels: [Int], noise: Tensor, generator: inout RandomGenerator) throws -> Tensor {
        (model.generate(latents: noise, labels: labels) + 1) * 0.5
    }
}
