import ArgumentParser
import Foundation
import StudioCore

/// The command-line entry point; each subcommand parses, calls the library and prints.
@main
struct GenStudio: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "genstudio",
        abstract: "Train and sample GANs, VAEs and diffusion models on the CPU.",
        subcommands: [DataCommand.self, TrainCommand.self, SampleCommand.self, InspectCommand.self, EvalCommand.self, AugmentCommand.self, Bench.self])

    /// Lets OpenBLAS pick kernels for this CPU before any command computes: some images export
    /// `OPENBLAS_CORETYPE=Haswell`, which halves sgemm speed on AVX-512 CPUs.
    /// `GENSTUDIO_BLAS_CORE=inherit` keeps the inherited choice. Every command (training, sampling,
    /// benchmarks, augmentation) reuses freed tensor storage instead of page-faulting it in again.
    static func main() {
        TensorMemory.keepFreedStorage()
        if ProcessInfo.processInfo.environment["GENSTUDIO_BLAS_CORE"] != "inherit" {
            ComputeThreads.redetectBLASCore()
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
