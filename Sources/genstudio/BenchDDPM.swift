import ArgumentParser
import Dispatch
import Foundation
import StudioCore
import StudioModels
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

    @Option(help: "Timed training steps, after 3 untimed warm-up steps.")
    var steps: Int = 10

    @Option(help: "Images sampled at once.")
    var sampleBatch: Int = 64

    @Option(help: "DDIM steps of the timed sampling.")
    var sampleSteps: Int = 50

    @Option(help: "The recipe whose model and optimizer settings are timed.")
    var recipe: String = "recipes/ddpm-mnist.toml"

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        guard sampleBatch >= 1 else { throw ValidationError("--sample-batch must be at least 1") }
        guard sampleSteps >= 1 else { throw ValidationError("--sample-steps must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        var overrides = ["train.batch=\(batch)"]
        if let threads { overrides.append("train.threads=\(threads)") }
        let (parsed, _) = try RecipeLoader.load(URL(fileURLWithPath: recipe), overrides: overrides)
        guard case .diffusion(let config) = parsed.model else {
            throw ValidationError("\(recipe) is not a diffusion recipe")
        }
        guard sampleSteps <= config.timesteps else { throw ValidationError("--sample-steps must be at most T = \(config.timesteps)") }
        ComputeThreads.count = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let task = try DiffusionTask(config: config, settings: parsed.train, sampleCount: 1)
        var generator = RandomGenerator(seed: 99)
        let images = Tensor.randomUniform(Shape([batch] + config.imageShape), lower: -1, upper: 1, using: &generator)
        let labels = config.isConditional ? (0..<batch).map { $0 % config.classes } : []
        for step in 0..<3 { _ = task.step(batch: images, labels: labels, step: step) }
        var start = DispatchTime.now().uptimeNanoseconds
        for step in 3..<(3 + steps) { _ = task.step(batch: images, labels: labels, step: step) }
        let trainSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9

        let noise = Tensor.randomNormal(Shape([sampleBatch] + config.imageShape), using: &generator)
        let options = DiffusionSampleOptions(sampler: .ddim, steps: sampleSteps, eta: 0)
        let sampler = DiffusionSampler(unet: task.model.unet, process: task.process)
        start = DispatchTime.now().uptimeNanoseconds
        _ = try task.ema.withAveragedParameters {
            try sampler.sample(noise: noise, labels: nil, options: options, generator: &generator)
        }
        let sampleSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print("genstudio ddpm: batch \(batch), threads \(ComputeThreads.count), \(steps) training steps in \(String(format: "%.2f", trainSeconds)) s; DDIM-\(sampleSteps) of \(sampleBatch) images in \(String(format: "%.2f", sampleSeconds)) s")
        print(String(format: "genstudio  training %8.1f images/s  %8.1f ms/step", Double(batch * steps) / trainSeconds, trainSeconds / Double(steps) * 1000))
        print(String(format: "genstudio  sampling %8.2f images/s  (DDIM-%d)", Double(sampleBatch) / sampleSeconds, sampleSteps))
    }
}
