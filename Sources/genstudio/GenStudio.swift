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
        subcommands: [DataCommand.self, TrainCommand.self, SampleCommand.self, InspectCommand.self, EvalCommand.self, AugmentCommand.self, StudioCommand.self, Bench.self])

    /// Lets OpenBLAS pick kernels for this CPU before any command computes: some images export
    /// `OPENBLAS_CORETYPE=Haswell`, which halves sgemm speed on AVX-512 CPUs.
    /// `GENSTUDIO_BLAS_CORE=inherit` keeps the inherited choice. Every command (training, sampling,
    /// benchmarks, augmentation) reuses freed tensor storage instead of page-faulting it in again.
    static func main() {
        TensorMemory.keepFreedStorage()
        if ProcessInfo.processInfo.environment["GENSTUDIO_BLAS_CORE"] != "inherit" {
            ComputeThreads.redetectBLASCore()
        }
        if let message = unknownCommand(Array(CommandLine.arguments.dropFirst())) {
            FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
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

    /// The message for a command or subcommand name that is none (`genstudio trian`, `genstudio data mnst`):
    /// the closest name when it is one or two edits away, else every name; nil when the names are fine,
    /// and for commands whose first argument may be a path (a default subcommand).
    static func unknownCommand(_ arguments: [String]) -> String? {
        var command: any ParsableCommand.Type = GenStudio.self
        var path = "genstudio"
        for argument in arguments {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty, !argument.hasPrefix("-") else { return nil }
            let name = { (type: any ParsableCommand.Type) in type.configuration.commandName ?? "\(type)".lowercased() }
            if let next = subcommands.first(where: { name($0) == argument }) {
                command = next
                path += " " + argument
                continue
            }
            let names = subcommands.map(name) + ["help"]
            if argument == "help" { return nil }
            let what = command == GenStudio.self ? "command '\(argument)'" : "subcommand '\(argument)' of '\(path)'"
            let closest = names.map { ($0, editDistance(argument, $0)) }.min { $0.1 < $1.1 }
            // With a default subcommand the argument is its first (a path), unless it is no file and
            // nearly a subcommand's name.
            if command.configuration.defaultSubcommand != nil {
                guard !FileManager.default.fileExists(atPath: argument), let (meant, distance) = closest, distance <= 2 else { return nil }
                return "unknown \(what), and no such file; did you mean '\(meant)'?"
            }
            if let (meant, distance) = closest, distance <= 2 { return "unknown \(what); did you mean '\(meant)'?" }
            return "unknown \(what); expected one of: \(names.dropLast().joined(separator: ", "))"
        }
        return nil
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
