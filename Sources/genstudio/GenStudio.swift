import ArgumentParser
import Foundation
import StudioCore

/// The command-line entry point; each subcommand parses, calls the library and prints.
@main
struct GenStudio: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "genstudio",
        abstract: "Train and sample GANs, VAEs and diffusion models on the CPU.",
        version: Version.description,
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
        if let typo = misspelledCommand(CommandLine.arguments.dropFirst().first) {
            FileHandle.standardError.write(Data("Error: unknown command '\(typo.typed)'; did you mean '\(typo.meant)'?\n".utf8))
            Foundation.exit(64)
        }
        if let parent = DefaultSubcommandHelp.parent(askedBy: Array(CommandLine.arguments.dropFirst())) {
            print(DefaultSubcommandHelp.message(for: parent))
            return
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }

    /// The command `first` was probably meant to be, when it is no command but one or two edits from one.
    static func misspelledCommand(_ first: String?) -> (typed: String, meant: String)? {
        guard let first, !first.hasPrefix("-") else { return nil }
        let names = configuration.subcommands.map { $0.configuration.commandName ?? "\($0)".lowercased() } + ["help"]
        guard !names.contains(first) else { return nil }
        let scored = names.map { ($0, editDistance(first, $0)) }.min { $0.1 < $1.1 }
        guard let (name, distance) = scored, distance <= 2 else { return nil }
        return (first, name)
    }

    /// Levenshtein distance: insertions, deletions and substitutions of one character each.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...Swift.max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in 1...Swift.max(b.count, 1) where !b.isEmpty {
                let current = row[j]
                row[j] = Swift.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}
