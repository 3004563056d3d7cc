import ArgumentParser
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

    @Option(name: [.customLong("timed-steps"), .customLong("steps")], help: "Timed steps, after 1 untimed warm-up step (--steps is the old spelling).")
    var steps: Int = 3

    func validate() throws {
        try TrainingBench.validate(batch: batch, steps: steps, threads: threads)
        guard criticSteps >= 1 else { throw ValidationError("--critic-steps must be at least 1") }
    }

    /// The recipe timed: `WaveGAN.config(width:length:)` under WGAN-GP with Adam(1e-4, 0.5, 0.9), as
    /// `benchmarks/wavegan.py` builds it; made in code, since the width and length are flags.
    func waveGANRecipe() throws -> Recipe {
        var settings = TrainSettings()
        settings.batch = batch
        settings.lr = 1e-4
        settings.beta1 = 0.5
        settings.beta2 = 0.9
        settings.loss = .wganGP
        settings.criticSteps = criticSteps
        settings.threads = threads ?? 0
        return Recipe(model: .gan(try WaveGAN.config(width: width, length: length)), train: settings,
                      audio: AudioSettings(sampleRate: 8000, clipLength: length))
    }

    func run() throws {
        let bench = try TrainingJob.benchmarkTask(try waveGANRecipe(), recipePath: "bench wavegan")
        let seconds = bench.timeSteps(warmUp: 1, count: steps)
        print("genstudio wavegan step: batch \(batch), width \(width), length \(length), critic steps \(criticSteps), threads \(ComputeThreads.count), \(steps) steps in \(TrainingBench.fixed(seconds)) s")
        print(String(format: "genstudio  %8.1f clips/s  %7.1f ms/step", Double(batch * steps) / seconds, seconds / Double(steps) * 1000))
    }
}
