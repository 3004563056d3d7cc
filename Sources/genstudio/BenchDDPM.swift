import ArgumentParser
import Foundation
import StudioCore
import StudioTraining

/// `genstudio bench ddpm`: training images/s of the diffusion recipe's step and DDIM sampling images/s;
/// `benchmarks/ddpm.py` times the same UNet, batch and optimizer in PyTorch.
struct BenchDDPM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ddpm",
        abstract: "Time the diffusion training step (noise, UNet, MSE, Adam, EMA) and DDIM sampling.")

    @Option(help: "Images per training step.")
    var batch: Int = 64

    @Option(help: "Compute threads (default: one per core).")
    var threads: Int?

    @Option(name: [.customLong("timed-steps"), .customLong("steps")], help: "Timed training steps, after 3 untimed warm-up steps (--steps is the old spelling).")
    var steps: Int = 10

    @Option(help: "Images sampled at once.")
    var sampleBatch: Int = 64

    @Option(name: [.customLong("denoising-steps"), .customLong("sample-steps")], help: "DDIM steps of the timed sampling (--sample-steps is the old spelling).")
    var sampleSteps: Int = 50

    @Option(help: "The recipe whose model and optimizer settings are timed.")
    var recipe: String = "recipes/ddpm-mnist.toml"

    func validate() throws {
        try TrainingBench.validate(batch: batch, steps: steps, threads: threads)
        guard sampleBatch >= 1 else { throw ValidationError("--sample-batch must be at least 1") }
        guard sampleSteps >= 1 else { throw ValidationError("--denoising-steps must be at least 1") }
    }

    func run() throws {
        let parsed = try TrainingBench.recipe(recipe, batch: batch, threads: threads)
        guard case .diffusion(let config) = parsed.model else {
            throw ValidationError("\(recipe) is not a diffusion recipe")
        }
        guard sampleSteps <= config.timesteps else { throw ValidationError("--denoising-steps must be at most T = \(config.timesteps)") }
        let bench = try TrainingJob.benchmarkTask(parsed, recipePath: recipe)
        let trainSeconds = bench.timeSteps(warmUp: 3, count: steps)
        guard let sampling = try bench.timeSampling(count: sampleBatch, diffusionSteps: sampleSteps) else {
            throw ValidationError("\(recipe) draws no samples")
        }
        let sampleSeconds = sampling.seconds
        print("genstudio ddpm: batch \(batch), threads \(ComputeThreads.count), \(steps) training steps in \(TrainingBench.fixed(trainSeconds)) s; DDIM-\(sampleSteps) of \(sampleBatch) images in \(TrainingBench.fixed(sampleSeconds)) s")
        print(String(format: "genstudio  training %8.1f images/s  %8.1f ms/step", Double(batch * steps) / trainSeconds, trainSeconds / Double(steps) * 1000))
        print(String(format: "genstudio  sampling %8.2f images/s  (DDIM-%d)", Double(sampleBatch) / sampleSeconds, sampleSteps))
    }
}
