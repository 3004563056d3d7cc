import Foundation
import StudioCore
import StudioIO
import StudioModels
import StudioNN

/// A GAN's generator rebuilt from a checkpoint (or a recipe plus foreign weights), ready to sample.
public struct LoadedGAN {
    public let gan: GAN
    /// The training step the weights come from, when the file says.
    public let step: Int?
    /// The file the weights came from.
    public let source: URL
    /// How its outputs become sound, for a WaveGAN or spectrogram GAN; nil for images.
    public let audio: AudioSettings?
    /// Whether batch norm uses each batch's statistics instead of the running ones.
    public var usesBatchStatistics = false
    /// Semi-supervised: the least probability of its class a kept sample has.
    public var labelConfidence: Float = 0.8
    /// Whether the file holds a moving average of the generator's weights (`ema.generator.*`).
    public let hasAveragedWeights: Bool
    /// Whether the generator samples with that average rather than the trained weights.
    public let usesAveragedWeights: Bool

    /// Builds the GAN `config` describes and loads `weights` (read from `source`) into it: the
    /// generator's moving average when the file has one and `averaged` holds, else the trained weights.
    public init(config: GANConfig, weights: SafeTensors, source: URL, step: Int?, audio: AudioSettings?,
                averaged: Bool = true) throws {
        var generator = RandomStream.initialization.generator(seed: 0)
        gan = try GAN(config: config, using: &generator)
        let (trained, average) = ModelCheckpoint.splitAverage(weights)
        try GeneratorLoader.restore(SafeTensors(entries: weights.entries.filter { trained[$0.name] != nil }), into: gan, source: source)
        hasAveragedWeights = !average.isEmpty
        usesAveragedWeights = hasAveragedWeights && averaged
        if usesAveragedWeights {
            // The average covers the generator's parameters; its batch-norm statistics are recomputed below.
            let parameters = Dictionary(uniqueKeysWithValues: gan.generatorParametersByCheckpointName.map { ($0.name, $0.parameter) })
            guard Set(average.keys) == Set(parameters.keys) else {
                throw FileFormatError(path: source.path, "its moving-average weights (ema.*) are not the generator's parameters; sample the trained weights with --no-ema")
            }
            for (name, value) in average {
                guard value.shape == parameters[name]!.shape else {
                    throw FileFormatError(path: source.path, "moving-average weight ema.\(name) is \(value.shape), the generator's is \(parameters[name]!.shape)")
                }
                parameters[name]!.assign(value)
            }
            var stream = RandomStream.standingStatistics.generator(seed: 0)
            gan.recalibrateGeneratorStatistics(using: &stream)
        }
        self.step = step
        self.source = source
        self.audio = audio
    }

    /// Loads CHECKPOINT: a run directory (its latest checkpoint), a checkpoint directory or a `model.safetensors`.
    public static func load(checkpoint path: URL) throws -> LoadedGAN {
        try GeneratorLoader.load(checkpoint: path).requiring(LoadedGAN.self, "a GAN")
    }

    /// Loads weights written by another tool (a PyTorch state dict saved with safetensors) into the
    /// model a recipe describes.
    public static func load(recipe: URL, weights: URL) throws -> LoadedGAN {
        try GeneratorLoader.load(recipe: recipe, weights: weights).requiring(LoadedGAN.self, "a GAN")
    }

    /// Images `[N, C, H, W]` in -1...1 for `latents` (and N labels when conditional), in batches of 256.
    public func generate(latents: Tensor, labels: [Int] = [], useBatchStatistics: Bool = false) -> Tensor {
        precondition(gan.config.isConditional == !labels.isEmpty, "generate: a conditional GAN needs labels, an unconditional one none")
        return withoutGradients {
            let context = ForwardContext(training: useBatchStatistics)
            var parts: [Tensor] = []
            var start = 0
            while start < latents.shape[0] {
                let end = Swift.min(latents.shape[0], start + 256)
                parts.append(gan.generate(latents.sliced(alongAxis: 0, start..<end),
                                          labels: labels.isEmpty ? [] : Array(labels[start..<end]), context: context))
                start = end
            }
            return parts.count == 1 ? parts[0] : Tensor.concatenate(parts, alongAxis: 0)
        }
    }
}

extension LoadedGAN: LatentWalking {
    public var config: ModelConfig { .gan(gan.config) }
    public var familyName: String { "GAN" }
    public var abilities: GeneratorAbilities {
        var abilities: GeneratorAbilities = [.batchStatistics, .latentWalk]
        if gan.config.isConditional { abilities.insert(.classes) }
        if gan.config.isSemiSupervised { abilities.formUnion([.classes, .discriminatorLabels]) }
        if hasAveragedWeights { abilities.insert(.averagedWeights) }
        return abilities
    }
    /// The conditional generator's classes, or the semi-supervised discriminator's.
    public var classCount: Int { config.sampledClassCount }
    public var exampleShape: [Int] { gan.config.imageShape }
    public var noiseShape: [Int] { [gan.config.latentSize] }
    public var valueRange: ClosedRange<Float> { -1...1 }
    /// The weights are named only for files with an average, so older jobs' manifests stay as they were.
    public var settings: [String: String] {
        var settings = ["sampler": "generator", "normalisation": usesBatchStatistics ? "batch statistics" : "running statistics"]
        if hasAveragedWeights { settings["weights"] = usesAveragedWeights ? "ema" : "trained" }
        if gan.config.isSemiSupervised { settings["labels"] = "discriminator, p >= \(labelConfidence)" }
        return settings
    }
    public var preferredChunk: Int? { nil }

    /// Row j from (seed, sample latents, `first + j`) alone, so that batching and sharding never change a sample.
    public func initialNoise(seed: UInt64, first: Int, count: Int) -> Tensor {
        GANSampler.noise(seed: seed, indices: Array(first..<(first + count)), latentSize: gan.config.latentSize)
    }

    public func draw(noise: Tensor, labels: [Int]?, stepNoise: inout RandomGenerator,
                     progress: (Int, Int) -> Void) throws -> Tensor {
        if gan.config.isSemiSupervised, let labels { return try drawLabelled(latents: noise, labels: labels) }
        return generate(latents: noise, labels: labels ?? [], useBatchStatistics: usesBatchStatistics)
    }

    /// Great circles (slerp), which keep the norms typical of Gaussian latents.
    public func walk(_ latents: Tensor, steps: Int) throws -> Tensor {
        try LatentPath.walk(latents, steps: steps, along: LatentPath.slerp)
    }
}
