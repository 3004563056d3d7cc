import ArgumentParser
import Dispatch
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

    @Option(help: "Timed steps, after 3 untimed warm-up steps.")
    var steps: Int = 30

    @Option(help: "The recipe whose model and optimizer settings are timed.")
    var recipe: String = "recipes/dcgan-mnist.toml"

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        var overrides = ["train.batch=\(batch)"]
        if let threads { overrides.append("train.threads=\(threads)") }
        let (parsed, _) = try RecipeLoader.load(URL(fileURLWithPath: recipe), overrides: overrides)
        guard case .gan(let config) = parsed.model else {
            throw ValidationError("\(recipe) is not a GAN recipe")
        }
        ComputeThreads.count = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let task = try AdversarialTask(config: config, settings: parsed.train, sampleCount: 1)
        var generator = RandomGenerator(seed: 99)
        let real = Tensor.randomUniform(Shape([batch] + config.imageShape), lower: -1, upper: 1, using: &generator)
        for step in 0..<3 { _ = task.step(batch: real, labels: [], step: step) }
        let start = DispatchTime.now().uptimeNanoseconds
        for step in 3..<(3 + steps) { _ = task.step(batch: real, labels: [], step: step) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print("genstudio dcgan step: batch \(batch), threads \(ComputeThreads.count), \(steps) steps in \(String(format: "%.2f", seconds)) s")
        print(String(format: "genstudio  %8.1f images/s  %7.1f ms/step", Double(batch * steps) / seconds, seconds / Double(steps) * 1000))
    }
}
