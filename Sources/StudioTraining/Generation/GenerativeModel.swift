import Foundation
import StudioCore
import StudioIO
import StudioModels

/// What a loaded generative model can be asked for besides plain samples; sampling options a model
/// lacks the ability for are refused in one place (`SamplingOptions.check`).
public struct GeneratorAbilities: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Samples of a chosen class (`--classes`, augmentation jobs).
    public static let classes = GeneratorAbilities(rawValue: 1 << 0)
    /// Classifier-free guidance (`--guidance`).
    public static let guidance = GeneratorAbilities(rawValue: 1 << 1)
    /// A choice of sampler, step count, eta and recorded trajectories (`--sampler`, `--denoising-steps`, `--eta`, `--trajectory`).
    public static let samplers = GeneratorAbilities(rawValue: 1 << 2)
    /// A choice between averaged and trained weights (`--no-ema`).
    public static let averagedWeights = GeneratorAbilities(rawValue: 1 << 3)
    /// Normalising with each batch's statistics (`--batch-statistics`).
    public static let batchStatistics = GeneratorAbilities(rawValue: 1 << 4)
    /// Walks between latents (`--interpolate`): the model conforms to `LatentWalking`.
    public static let latentWalk = GeneratorAbilities(rawValue: 1 << 5)
    /// Encoding images (`--reconstruct`) and the latent manifold (`--manifold`): the model conforms to `Reconstructing`.
    public static let reconstruction = GeneratorAbilities(rawValue: 1 << 6)
    /// Labels given by a semi-supervised discriminator, with a confidence to keep (`--label-confidence`).
    public static let discriminatorLabels = GeneratorAbilities(rawValue: 1 << 7)
}

/// A trained model of any family that draws examples: the one seam through which `sample`, `eval`,
/// `augment` and the audio paths reach GANs, VAEs and diffusion models.
///
/// Sample i is made from initial noise `initialNoise(seed:first:count:)` row i and, for samplers
/// that add noise on the way (DDPM, DDIM with eta), a step-noise generator the caller derives from
/// the seed, so that a job decides which (seed, index, class) each sample depends on.
public protocol GenerativeModel {
    /// The model config the weights belong to.
    var config: ModelConfig { get }
    /// The training step the weights come from, when the file says.
    var step: Int? { get }
    /// The file the weights came from.
    var source: URL { get }
    /// How examples become sound, for a model trained on audio; nil for images.
    var audio: AudioSettings? { get }
    /// The family as messages name it: "GAN", "VAE", "diffusion model".
    var familyName: String { get }
    /// What the model can be asked for beyond plain samples.
    var abilities: GeneratorAbilities { get }
    /// Classes it draws (`0..<classCount`); 0 for an unconditional model.
    var classCount: Int { get }
    /// One example's shape `[C, H, W]` (or `[C, L]` for waveforms).
    var exampleShape: [Int] { get }
    /// One sample's initial noise shape: a latent `[D]`, or x_T `exampleShape`.
    var noiseShape: [Int] { get }
    /// The range `draw` returns values in: -1...1 (tanh generators, diffusion) or 0...1 (VAEs).
    var valueRange: ClosedRange<Float> { get }
    /// The settings besides seed and class that decide the samples, for manifests and messages.
    var settings: [String: String] { get }
    /// Samples jobs that draw many (evaluation) make at once: a bound on a sampler's memory, or nil
    /// for all at once (latent models, whose noise is one stream, so chunking would change it).
    var preferredChunk: Int? { get }
    /// Initial noise `[count] + noiseShape` of samples `first..<first + count` for `seed`.
    func initialNoise(seed: UInt64, first: Int, count: Int) -> Tensor
    /// Examples `[N] + exampleShape` in `valueRange` from `noise` `[N] + noiseShape`, of classes
    /// `labels` (N of them; nil for an unconditional model); a sampler's added noise comes from
    /// `stepNoise`; `progress(done, total)` follows a sampler's steps.
    func draw(noise: Tensor, labels: [Int]?, stepNoise: inout RandomGenerator,
              progress: (Int, Int) -> Void) throws -> Tensor
}

/// A model whose latents can be walked between (`--interpolate`): GANs along great circles, VAEs along lines.
public protocol LatentWalking: GenerativeModel {
    /// `steps` latents between rows 0 and 1, then 2 and 3, ...: `[2P, D]` -> `[P * steps, D]`.
    func walk(_ latents: Tensor, steps: Int) throws -> Tensor
}

/// A model that encodes images back into its latent space (VAEs).
public protocol Reconstructing: GenerativeModel {
    /// Each image `[N, C, H, W]` in 0...1 decoded from its encoding, in 0...1.
    func reconstruct(images: Tensor, labels: [Int]) throws -> Tensor
    /// Rows of `steps` images between the encodings of images 0 and 1, 2 and 3, ...: `[2P, ...]` -> `[P * steps, ...]`.
    func interpolate(images: Tensor, labels: [Int], steps: Int) throws -> Tensor
    /// The decoded grid over a 2-dimensional latent plane, `[size², C, H, W]` in 0...1.
    func manifold(size: Int, classLabel: Int?) throws -> Tensor
}

/// A model whose sampling passes through intermediate states worth showing (diffusion).
public protocol TrajectoryRecording: GenerativeModel {
    /// The denoising steps the current options run.
    var samplingSteps: Int { get }
    /// `draw` that also returns `x` after each of `recordedSteps` (0-based step indices), each `[N] + exampleShape`.
    func draw(noise: Tensor, labels: [Int]?, stepNoise: inout RandomGenerator, recording recordedSteps: [Int],
              progress: (Int, Int) -> Void) throws -> (examples: Tensor, trajectory: [Tensor])
}

extension GenerativeModel {
    /// Whether the model draws chosen classes.
    public var isConditional: Bool { classCount > 0 }

    /// The file and step as messages name them: "step 500 of /path/model.safetensors".
    public var origin: String { (step.map { "step \($0) of " } ?? "") + source.path }

    /// Initial noise from one generator for the whole range, (seed, sample latents, `first`): the
    /// draw VAEs and diffusion models have always used, so that their samples keep their bytes.
    public func streamNoise(seed: UInt64, first: Int, count: Int) -> Tensor {
        var generator = RandomStream.sampleLatents.generator(seed: seed, step: first)
        return Tensor.randomNormal(Shape([count] + noiseShape), using: &generator)
    }

    /// `examples` in `valueRange` moved to 0...1.
    public func unitRange(_ examples: Tensor) -> Tensor { valueRange == 0...1 ? examples : (examples + 1) * 0.5 }

    /// `examples` in `valueRange` moved to -1...1, the range the image writers take.
    public func signedRange(_ examples: Tensor) -> Tensor { valueRange == -1...1 ? examples : examples * 2 - 1 }

    /// `count` examples in 0...1 for `seed`, in chunks of `chunk` samples (all at once when nil):
    /// chunk k's noise comes from `initialNoise(seed:first:count:)` and its step noise from
    /// (seed, noise stream, first index of the chunk). Conditional models draw class `i % classes`
    /// for sample i. `progress(done, count)` follows the samples after each chunk.
    public func drawSamples(count: Int, seed: UInt64, chunk: Int? = nil,
                            progress: (Int, Int) -> Void = { _, _ in }) throws -> (examples: Tensor, labels: [Int]?) {
        guard count >= 1 else { throw SampleError("the sample count must be at least 1, got \(count)") }
        let labels = isConditional ? (0..<count).map { $0 % classCount } : nil
        let size = chunk ?? count
        var parts: [Tensor] = []
        for start in stride(from: 0, to: count, by: size) {
            let end = Swift.min(count, start + size)
            var stepNoise = RandomStream.noise.generator(seed: seed, step: start)
            let examples = try draw(noise: initialNoise(seed: seed, first: start, count: end - start),
                                    labels: labels.map { Array($0[start..<end]) }, stepNoise: &stepNoise, progress: { _, _ in })
            parts.append(unitRange(examples))
            progress(end, count)
        }
        return (parts.count == 1 ? parts[0] : Tensor.concatenate(parts, alongAxis: 0), labels)
    }
}
