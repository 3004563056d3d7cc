import ArgumentParser
import Foundation
import StudioCore
import StudioTraining

/// `genstudio bench train RECIPE`: training examples/s of any recipe's step on random data of its
/// shape, and sampling examples/s of its generator; `bench dcgan`, `vae`, `ddpm` and `wavegan` are
/// this for one recipe each, in the line formats `benchmarks/*.py` print.
struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Time any recipe's training step on random data, and its sampling (GAN, VAE, diffusion).")

    @Argument(help: "The recipe whose model and optimizer settings are timed.")
    var recipe: String

    @Option(help: "Examples per step (default: the recipe's train.batch).")
    var batch: Int?

    @Option(help: "Compute threads (default: one per core).")
    var threads: Int?

    @Option(name: [.customLong("timed-steps"), .customLong("steps")], help: "Timed training steps, after 3 untimed warm-up steps (--steps is the old spelling).")
    var steps: Int = 10

    @Option(help: "Samples drawn at once in the timed sampling.")
    var sampleBatch: Int = 64

    @Option(name: [.customLong("denoising-steps"), .customLong("sample-steps")], help: "Diffusion recipes: DDIM steps of the timed sampling (default: min(50, T); --sample-steps is the old spelling).")
    var sampleSteps: Int?

    func validate() throws {
        try TrainingBench.validate(batch: batch, steps: steps, threads: threads)
        guard sampleBatch >= 1 else { throw ValidationError("--sample-batch must be at least 1") }
        if let sampleSteps, sampleSteps < 1 { throw ValidationError("--denoising-steps must be at least 1") }
    }

    func run() throws {
        let parsed = try TrainingBench.recipe(recipe, batch: batch, threads: threads)
        if let sampleSteps {
            guard case .diffusion(let config) = parsed.model else {
                throw ValidationError("--denoising-steps applies to diffusion recipes only; \(recipe) is a \(parsed.model.family) recipe")
            }
            guard sampleSteps <= config.timesteps else { throw ValidationError("--denoising-steps must be at most T = \(config.timesteps)") }
        }
        let bench = try TrainingJob.benchmarkTask(parsed, recipePath: recipe)
        let seconds = bench.timeSteps(warmUp: 3, count: steps)
        let size = parsed.train.batch
        let unit = parsed.audio == nil ? "images" : "clips"
        let critics = bench.task.batchesPerStep > 1 ? " (\(bench.task.batchesPerStep) critic batches per step)" : ""
        print("genstudio \(parsed.model.family) \(recipe): batch \(size)\(critics), threads \(ComputeThreads.count), \(steps) steps in \(TrainingBench.fixed(seconds)) s")
        let rate = String(format: "%8.1f", Double(size * steps) / seconds), time = String(format: "%8.1f", seconds / Double(steps) * 1000)
        print("genstudio  training \(rate) \(unit)/s  \(time) ms/step")
        guard let sampling = try bench.timeSampling(count: sampleBatch, diffusionSteps: sampleSteps) else { return }
        let sampled = String(format: "%8.2f", Double(sampling.count) / sampling.seconds)
        print("genstudio  sampling \(sampled) \(unit)/s  (\(Self.describe(sampling.method)), \(sampling.count) at once)")
    }

    /// The sampling line's words for what was timed.
    static func describe(_ method: BenchmarkSampling) -> String {
        switch method {
        case .generator: "generator"
        case .decoder: "decoder from the prior"
        case .ddim(let steps): "DDIM-\(steps), EMA weights"
        }
    }
}

/// What the training benchmarks share: flag checks, the recipe with the command's batch and threads,
/// and number formatting.
enum TrainingBench {
    /// Throws for a batch, step count or thread count below 1.
    static func validate(batch: Int?, steps: Int, threads: Int?) throws {
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1") }
        guard steps >= 1 else { throw ValidationError("--timed-steps must be at least 1, got \(steps)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// The recipe at `path` with `train.batch` set when `batch` is given and `train.threads` set to
    /// `threads` (nil: one per core, whatever the recipe says).
    static func recipe(_ path: String, batch: Int?, threads: Int?) throws -> Recipe {
        var overrides = ["train.threads=\(threads ?? 0)"]
        if let batch { overrides.append("train.batch=\(batch)") }
        return try RecipeLoader.load(URL(fileURLWithPath: path), overrides: overrides).recipe
    }

    /// `value` with two decimals.
    static func fixed(_ value: Double) -> String { String(format: "%.2f", value) }
}
