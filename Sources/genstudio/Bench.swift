import ArgumentParser

/// `genstudio bench ...`: throughput figures for release builds.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput (run a release build: swift build -c release).",
        subcommands: [BenchOps.self, BenchTrain.self, BenchDCGAN.self, BenchVAE.self, BenchDDPM.self, BenchWaveGAN.self])
}
