import ArgumentParser
import Dispatch
import Foundation
import StudioCore
import StudioIO
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

    @Option(help: "Timed steps, after 3 untimed warm-up steps.")
    var steps: Int = 30

    @Option(help: "The recipe to time instead of the --model one.")
    var recipe: String?

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        var overrides = ["train.batch=\(batch)"]
        if let threads { overrides.append("train.threads=\(threads)") }
        let path = recipe ?? (model == .conv ? "recipes/vae-mnist.toml" : "recipes/vae-mlp-mnist.toml")
        let (parsed, _) = try RecipeLoader.load(URL(fileURLWithPath: path), overrides: overrides)
        guard case .vae(let config) = parsed.model else {
            throw ValidationError("\(path) is not a VAE recipe")
        }
        ComputeThreads.count = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let imageShape = Shape([1] + config.imageShape)
        let unusedTest = ImageDataset(shape: imageShape, pixels: [UInt8](repeating: 0, count: imageShape.elementCount), labels: [0])
        let task = try VariationalTask(config: config, settings: parsed.train, sampleCount: 1, test: unusedTest)
        var generator = RandomGenerator(seed: 99)
        let data = Tensor.randomUniform(Shape([batch] + config.imageShape), lower: 0, upper: 1, using: &generator)
        let labels = (0..<batch).map { $0 % Swift.max(1, config.classCount) }
        for step in 0..<3 { _ = task.step(batch: data, labels: labels, step: step) }
        let start = DispatchTime.now().uptimeNanoseconds
        for step in 3..<(3 + steps) { _ = task.step(batch: data, labels: labels, step: step) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print("genstudio vae \(model.rawValue) step: batch \(batch), threads \(ComputeThreads.count), \(steps) steps in \(String(format: "%.2f", seconds)) s")
        print(String(format: "genstudio  %8.1f images/s  %7.1f ms/step", Double(batch * steps) / seconds, seconds / Double(steps) * 1000))
    }
}
