import ArgumentParser
import StudioTraining

/// The sampling options of every command that draws samples (`sample`, `augment`, `eval`); a model
/// that cannot honour one refuses it when loaded (`SamplingOptions.check`).
struct SamplingOptionGroup: ParsableArguments {
    @Option(help: "Diffusion: the sampler, ddpm (ancestral), ddim or dpm++2m (DPM-Solver++ 2M, good in 10 to 20 steps).")
    var sampler: String?

    @Option(help: "Diffusion: denoising steps, 1...T (default: T for ddpm, 50 for ddim, 20 for dpm++2m).")
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

    /// The options in the library's terms; `batchStatistics` comes from `sample`'s own flag.
    func options(batchStatistics: Bool = false) throws -> SamplingOptions {
        var options = SamplingOptions()
        options.sampler = try sampler.map(SamplingOptions.sampler(named:))
        options.steps = steps
        options.spacing = try spacing.map(SamplingOptions.spacing(named:))
        options.eta = eta
        options.guidance = guidance
        options.averagedWeights = !noEma
        options.batchStatistics = batchStatistics
        return options
    }
}
