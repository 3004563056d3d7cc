import ArgumentParser
import Foundation
import StudioCore
import StudioTraining

/// `genstudio bench dcgan`: training images/s of the DCGAN recipe's step on random data;
/// `benchmarks/dcgan.py` times the identical step in PyTorch.
struct BenchDCGAN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dcgan",
        abstract: "Time the DCGAN training step (G forward, D on real and detached fake, G through D).")

    @Option(help: "Images per step.")
    var batch: Int = 64

    @Option(help: "Compute threads (default: one per core).")
    var threads: Int?

    @Option(name: [.customLong("timed-steps"), .customLong("steps")], help: "Timed steps, after 3 untimed warm-up steps (--steps is the old spelling).")
    var steps: Int = 30

    @Option(help: "The recipe whose model and optimizer settings are timed.")
    var recipe: String = "recipes/dcgan-mnist.toml"

    func validate() throws {
        try TrainingBench.validate(batch: batch, steps: steps, threads: threads)
    }

    func run() throws {
        let parsed = try TrainingBench.recipe(recipe, batch: batch, threads: threads)
        guard case .gan = parsed.model else { throw ValidationError("\(recipe) is not a GAN recipe") }
        let seconds = try TrainingJob.benchmarkTask(parsed, recipePath: recipe).timeSteps(warmUp: 3, count: steps)
        print("genstudio dcgan step: batch \(batch), threads \(ComputeThreads.count), \(steps) steps in \(TrainingBench.fixed(seconds)) s")
        print(String(format: "genstudio  %8.1f images/s  %7.1f ms/step", Double(batch * steps) / seconds, seconds / Double(steps) * 1000))
    }
}
