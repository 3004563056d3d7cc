import StudioCore
import StudioModels
import StudioNN

/// What `TrainingBenchmark.timeSampling` runs for a recipe's family.
public enum BenchmarkSampling: Equatable, Sendable {
    /// The generator's forward pass on a batch of latents (GANs).
    case generator
    /// The decoder's forward pass on a batch of prior latents (VAEs).
    case decoder
    /// DDIM with eta 0 over `steps` denoising steps, with the EMA weights (diffusion models).
    case ddim(steps: Int)
}

/// One timed sampling: what ran, how many samples it drew at once, and how long it took.
public struct SamplingTiming: Equatable, Sendable {
    /// What was timed.
    public var method: BenchmarkSampling
    /// Samples drawn in the one timed batch.
    public var count: Int
    /// Wall-clock seconds of that batch.
    public var seconds: Double
}

// One function per kind of generator, so that each becomes one call through the generator seam
// once a loaded model and a training task share it.
extension TrainingBenchmark {
    /// Times drawing `count` samples at once from the task's current weights, in inference mode
    /// without gradients; `diffusionSteps` (nil: min(50, T)) sets a diffusion model's DDIM steps.
    /// Nil for a family that draws no samples (a classifier).
    public func timeSampling(count: Int, diffusionSteps: Int? = nil) throws -> SamplingTiming? {
        var generator = RandomGenerator(seed: Self.seed, stream: RandomStream.sampleLatents.rawValue, step: 0)
        switch task {
        case let adversarial as AdversarialTask:
            return Self.timeGenerator(adversarial.gan, count: count, using: &generator)
        case let variational as VariationalTask:
            return Self.timeDecoder(variational.vae, count: count, using: &generator)
        case let diffusion as DiffusionTask:
            return try Self.timeDDIM(diffusion, count: count, steps: diffusionSteps, using: &generator)
        default:
            return nil
        }
    }

    /// `[count, latentSize]` normal latents through the generator (`count` images or clips), with
    /// labels cycling through the classes when conditional; one untimed pass first.
    static func timeGenerator(_ gan: GAN, count: Int, using generator: inout RandomGenerator) -> SamplingTiming {
        let z = Tensor.randomNormal([count, gan.config.latentSize], using: &generator)
        let labels = gan.config.isConditional ? (0..<count).map { $0 % gan.config.classCount } : []
        let draw = { _ = withoutGradients { gan.generate(z, labels: labels, context: .inference) } }
        draw()
        return SamplingTiming(method: .generator, count: count, seconds: seconds(draw))
    }

    /// `[count, latentSize]` prior latents through the decoder to pixels, with labels cycling through
    /// the classes when conditional; one untimed pass first.
    static func timeDecoder(_ vae: VAE, count: Int, using generator: inout RandomGenerator) -> SamplingTiming {
        let z = Tensor.randomNormal([count, vae.config.latentSize], using: &generator)
        let labels = vae.config.isConditional ? (0..<count).map { $0 % vae.config.classCount } : []
        let draw = { _ = withoutGradients { vae.pixels(fromOutput: vae.decode(z, labels: labels, context: .inference)) } }
        draw()
        return SamplingTiming(method: .decoder, count: count, seconds: seconds(draw))
    }

    /// DDIM (eta 0) from `[count] + imageShape` noise with the EMA weights swapped in, unguided and
    /// unconditional (one UNet pass per step, also for a conditional model).
    static func timeDDIM(_ task: DiffusionTask, count: Int, steps: Int?, using generator: inout RandomGenerator) throws -> SamplingTiming {
        let options = DiffusionSampleOptions(sampler: .ddim, steps: steps, eta: 0)
        let sampler = DiffusionSampler(unet: task.model.unet, process: task.process)
        try sampler.check(options, labels: nil)
        let noise = Tensor.randomNormal(Shape([count] + task.model.config.imageShape), using: &generator)
        let seconds = try seconds {
            _ = try task.ema.withAveragedParameters {
                try sampler.sample(noise: noise, labels: nil, options: options, generator: &generator)
            }
        }
        return SamplingTiming(method: .ddim(steps: options.resolvedSteps(timesteps: task.process.schedule.count)),
                              count: count, seconds: seconds)
    }
}
