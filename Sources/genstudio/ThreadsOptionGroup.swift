import ArgumentParser
import StudioCore

/// `--threads N`, the compute threads of every command that computes (one name for one idea: docs/cli.md).
struct ThreadsOptionGroup: ParsableArguments {
    @Option(help: "Compute threads (default: one per core); results are the same bytes with any count.")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Sets the process's compute threads when `--threads` was given; the training runs a command
    /// starts (eval augmentation's classifiers, eval few-shot's stages) keep that count too.
    func apply() {
        guard let threads else { return }
        ComputeThreads.count = threads
        ComputeThreads.fixed = threads
    }
}
