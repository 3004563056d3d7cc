import ArgumentParser
import Foundation
import StudioCore
import StudioTraining

/// `genstudio bench vae`: training images/s of a VAE recipe's step on random data;
/// `benchmarks/vae.py` times the identical step in PyTorch.
struct BenchVAE: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vae",
        abstract: "Time the VAE training step (encode, reparameterise, decode, ELBO, Adam).")

    enum Model: String, ExpressibleByArgument, CaseIterable { case conv, mlp }

    @Option(help: "conv (recipes/vae-mnist.toml) or mlp (recipes/vae-mlp-mnist.toml).")
    var model: Model = .conv

    @Option(help: "Images per step.")
    var batch: Int = 128

    @Option(help: "Compute threads (default: one per core).")
    var threads: Int?

    @Option(name: [.customLong("timed-steps"), .customLong("steps")], help: "Timed steps, after 3 untimed warm-up steps (--steps is the old spelling).")
    var steps: Int = 30

    @Option(help: "The recipe to time instead of the --model one.")
    var recipe: String?

    func validate() throws {
        try TrainingBench.validate(batch: batch, steps: steps, threads: threads)
    }

    func run() throws {
        let path = recipe ?? (model == .conv ? "recipes/vae-mnist.toml" : "recipes/vae-mlp-mnist.toml")
        let parsed = try TrainingBench.recipe(path, batch: batch, threads: threads)
        guard case .vae = parsed.model else { throw ValidationError("\(path) is not a VAE recipe") }
        let seconds = try TrainingJob.benchmarkTask(parsed, recipePath: path).timeSteps(warmUp: 3, count: steps)
        print("genstudio vae \(model.rawValue) step: batch \(batch), threads \(ComputeThreads.count), \(steps) steps in \(TrainingBench.fixed(seconds)) s")
        print(String(format: "genstudio  %8.1f images/s  %7.1f ms/step", Double(batch * steps) / seconds, seconds / Double(steps) * 1000))
    }
}
