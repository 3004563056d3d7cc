import ArgumentParser
import StudioTraining

/// The sampling options of every command that draws samples (`sample`, `augment`, `eval`); a model
/// that cannot honour one refuses it when loaded (`SamplingOptions.check`).
struct SamplingOptionGroup: ParsableArguments {
    @Option(help: "Diffusion: the sampler, ddpm (ancestral), ddim or dpm++2m (DPM-Solver++ 2M, good in 10 to 20 steps).")
    var sampler: String?

    @Option(name: .customLong("denoising-steps"),
            help: "Diffusion: denoising steps, 1...T (default: T for ddpm, 50 for ddim, 20 for dpm++2m).")
    var steps: Int?

    @Option(help: """
        Diffusion: where the steps lie among the T timesteps, uniform, trailing or quadratic \
        (default: uniform for ddpm and ddim, trailing for dpm++2m).
        """)
    var spacing: String?

    @Option(help: "Diffusion, DDIM: stochasticity, 0 deterministic (default), 1 like DDPM.")
    var eta: Double?

    @Option(help: "Conditional diffusion: classifier-free guidance scale (default 3; 1 is the conditional model alone).")
    var guidance: Double?

    @Flag(help: "Diffusion: sample with the trained weights instead of their moving average.")
    var noEma = false

    @Option(help: "Semi-supervised GANs: the least probability the discriminator gives a kept sample's class, 0...1 (default 0.8).")
    var labelConfidence: Double?

    /// The options in the library's terms; `batchStatistics` comes from `sample`'s own flag, and
    /// `alias` is the old `--steps` spelling of `--denoising-steps` where a command still takes it.
    func options(batchStatistics: Bool = false, alias: DenoisingStepsAlias? = nil) throws -> SamplingOptions {
        var options = SamplingOptions()
        options.sampler = try sampler.map(SamplingOptions.sampler(named:))
        options.steps = try alias?.merged(with: steps) ?? steps
        options.spacing = try spacing.map(SamplingOptions.spacing(named:))
        options.labelConfidence = labelConfidence
        options.eta = eta
        options.guidance = guidance
        options.averagedWeights = !noEma
        options.batchStatistics = batchStatistics
        return options
    }
}

/// `--steps`, the old spelling of `--denoising-steps` in `sample`, `augment` and `eval SAMPLES`; a
/// group of its own because `eval few-shot` and `eval augmentation` use `--steps` for classifier steps.
struct DenoisingStepsAlias: ParsableArguments {
    @Option(name: .customLong("steps"), help: "The old spelling of --denoising-steps (still accepted).")
    var steps: Int?

    /// `denoisingSteps` or this old spelling's value; both given with different values is an error.
    func merged(with denoisingSteps: Int?) throws -> Int? {
        if let steps, let denoisingSteps, steps != denoisingSteps {
            throw ValidationError("--steps \(steps) and --denoising-steps \(denoisingSteps) disagree; --steps is the old spelling of --denoising-steps, give one")
        }
        return denoisingSteps ?? steps
    }
}
