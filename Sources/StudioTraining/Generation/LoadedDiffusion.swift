import Foundation
import StudioCore
import StudioIO
import StudioModels

/// A diffusion model rebuilt from `model.safetensors` alone (or a recipe plus foreign weights), with
/// its averaged (default) or trained weights and the sampler options it draws with.
public struct LoadedDiffusion {
    /// The model config from the file's metadata.
    public let diffusionConfig: DiffusionConfig
    /// The network with the chosen weights.
    public let model: DiffusionModel
    /// The training step the weights come from, when the file says.
    public let step: Int?
    /// The file the weights came from.
    public let source: URL
    /// Whether the weights are the moving average (`ema.unet.*`) rather than the trained ones (`unet.*`).
    public let usesAveragedWeights: Bool
    /// How its outputs become sound, for a spectrogram model; nil for images.
    public let audio: AudioSettings?
    /// The sampler, steps, spacing, eta and guidance `draw` uses (checked against the model).
    public private(set) var options: DiffusionSampleOptions

    /// Builds the model `config` describes with the averaged weights of `weights` (the trained ones
    /// when `averaged` is false), and `options` checked (guidance 1 for an unconditional model).
    public init(config: DiffusionConfig, weights: SafeTensors, source: URL, step: Int?, audio: AudioSettings?,
                averaged: Bool = true, options: DiffusionSampleOptions = .init()) throws {
        var generator = RandomStream.initialization.generator(seed: 0)
        model = try DiffusionModel(config: config, using: &generator)
        let prefix = averaged ? DiffusionTask.emaPrefix : ""
        var chosen: [String: Tensor] = [:]
        for entry in weights.entries where entry.name.hasPrefix(prefix) {
            let name = String(entry.name.dropFirst(prefix.count))
            if averaged || !name.hasPrefix(DiffusionTask.emaPrefix) { chosen[name] = entry.tensor }
        }
        if averaged && chosen.isEmpty {
            throw FileFormatError(path: source.path, "has no moving-average weights (ema.unet.*); sample the trained weights with --no-ema")
        }
        do {
            try model.loadState(chosen)
        } catch {
            throw FileFormatError(path: source.path, "\(averaged ? "moving-average " : "")weights do not match the model:\n\(error)")
        }
        diffusionConfig = config
        self.step = step
        self.source = source
        self.audio = audio
        usesAveragedWeights = averaged
        self.options = options
        try sampler.check(options, labels: nil)
    }

    /// Loads CHECKPOINT with the moving-average weights, or the trained ones when `averaged` is false.
    public static func load(checkpoint path: URL, averaged: Bool = true) throws -> LoadedDiffusion {
        var options = SamplingOptions()
        options.averagedWeights = averaged
        return try GeneratorLoader.load(checkpoint: path, options: options).requiring(LoadedDiffusion.self, "a diffusion model")
    }

    /// A sampler over the loaded network and its noise schedule.
    public var sampler: DiffusionSampler { DiffusionSampler(unet: model.unet, process: DiffusionProcess(config: diffusionConfig)) }
}

extension LoadedDiffusion: TrajectoryRecording {
    public var config: ModelConfig { .diffusion(diffusionConfig) }
    public var familyName: String { "diffusion model" }
    public var abilities: GeneratorAbilities {
        diffusionConfig.isConditional ? [.classes, .guidance, .samplers, .averagedWeights] : [.samplers, .averagedWeights]
    }
    public var classCount: Int { diffusionConfig.classes }
    public var exampleShape: [Int] { diffusionConfig.imageShape }
    public var noiseShape: [Int] { diffusionConfig.imageShape }
    public var valueRange: ClosedRange<Float> { -1...1 }
    public var settings: [String: String] {
        var settings = ["sampler": options.sampler.rawValue, "steps": String(samplingSteps), "eta": String(options.eta),
                        "guidance": String(options.guidance), "weights": usesAveragedWeights ? "ema" : "trained"]
        // Only when asked for, or for a sampler newer than the manifests written without it, so
        // that those manifests (compared when a job resumes) keep their bytes.
        if options.spacing != nil || options.sampler == .dpmSolverPlusPlus2M {
            settings["spacing"] = options.resolvedSpacing.rawValue
        }
        return settings
    }
    public var preferredChunk: Int? { 256 }
    public var samplingSteps: Int { options.resolvedSteps(timesteps: diffusionConfig.timesteps) }

    /// x_T from one stream for the whole range.
    public func initialNoise(seed: UInt64, first: Int, count: Int) -> Tensor {
        streamNoise(seed: seed, first: first, count: count)
    }

    public func draw(noise: Tensor, labels: [Int]?, stepNoise: inout RandomGenerator,
                     progress: (Int, Int) -> Void) throws -> Tensor {
        try draw(noise: noise, labels: labels, stepNoise: &stepNoise, recording: [], progress: progress).examples
    }

    public func draw(noise: Tensor, labels: [Int]?, stepNoise: inout RandomGenerator, recording recordedSteps: [Int],
                     progress: (Int, Int) -> Void) throws -> (examples: Tensor, trajectory: [Tensor]) {
        var request = options
        request.trajectorySteps = recordedSteps
        let result = try sampler.sample(noise: noise, labels: labels, options: request, generator: &stepNoise, progress: progress)
        return (result.images, result.trajectory)
    }
}
