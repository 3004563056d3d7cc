import ArgumentParser
import Dispatch
import Foundation
import StudioCore
import StudioModels
import StudioTraining

/// `genstudio bench wavegan`: one WaveGAN training step (critic steps with the gradient penalty, then
/// the generator step) on random clips; `benchmarks/wavegan.py` times the identical step in PyTorch.
struct BenchWaveGAN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wavegan",
        abstract: "Time the WaveGAN training step (WGAN-GP: critic steps on real, fake and interpolated clips, then G).")

    @Option(help: "Clips per critic step and per generator step.")
    var batch: Int = 64

    @Option(help: "Model width d (the paper's 64; channels run d...16d).")
    var width: Int = 16

    @Option(help: "Clip length in samples, a multiple of 1024 (8192: about a second at 8 kHz).")
    var length: Int = 8192

    @Option(help: "Critic updates per generator update.")
    var criticSteps: Int = 5

    @Option(help: "Compute threads (default: one per core).")
    var threads: Int?

    @Option(help: "Timed steps, after 1 untimed warm-up step.")
    var steps: Int = 3

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        guard criticSteps >= 1 else { throw ValidationError("--critic-steps must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let config = try WaveGAN.config(width: width, length: length)
        var settings = TrainSettings()
        settings.batch = batch
        settings.lr = 1e-4
        settings.beta1 = 0.5
        settings.beta2 = 0.9
        settings.loss = .wganGP
        settings.criticSteps = criticSteps
        ComputeThreads.count = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let task = try AdversarialTask(config: config, settings: settings, sampleCount: 1)
        var generator = RandomGenerator(seed: 99)
        let real = Tensor.randomUniform([criticSteps * batch, 1, length], lower: -1, upper: 1, using: &generator)
        _ = task.step(batch: real, labels: [], step: 0)
        let start = DispatchTime.now().uptimeNanoseconds
        for step in 1...steps { _ = task.step(batch: real, labels: [], step: step) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print("genstudio wavegan step: batch \(batch), width \(width), length \(length), critic steps \(criticSteps), threads \(ComputeThreads.count), \(steps) steps in \(String(format: "%.2f", seconds)) s")
        print(String(format: "genstudio  %8.1f clips/s  %7.1f ms/step", Double(batch * steps) / seconds, seconds / Double(steps) * 1000))
    }
}
