import ArgumentParser
import Foundation
import StudioCore
import StudioTraining

/// `genstudio train RECIPE` or `genstudio train --resume RUN_DIR`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model from a TOML recipe, or resume a run.",
        discussion: """
            Ctrl-C (or SIGTERM) finishes the current step, writes a checkpoint and prints the resume command.
            Started by mpirun or srun, each process is one rank of a data-parallel run: train.batch is the \
            global batch, split evenly over the ranks, and rank 0 writes the run (docs/cluster.md).
            """)

    @Argument(help: "The recipe, e.g. recipes/dcgan-mnist.toml.")
    var recipe: String?

    @Option(name: .customLong("set"), help: "Override a recipe key, e.g. --set train.lr=1e-4 (repeatable).")
    var overrides: [String] = []

    @Option(help: "The run directory (default: outputs/<recipe>/<time>).")
    var out: String?

    @Option(help: "Resume the run in this directory from its latest checkpoint.")
    var resume: String?

    @Option(help: "Stop after this many steps in total (the run can be resumed).")
    var maxSteps: Int?

    @Option(help: "Stop after this many minutes of this session (the run can be resumed).")
    var maxMinutes: Double?

    @Option(help: "The run seed (same as --set train.seed=S).")
    var seed: UInt64?

    @Option(help: "The training data folder (same as --set data.path=DIR).")
    var data: String?

    @Option(help: "Compute threads (same as --set train.threads=N; default: the recipe's, 0 there meaning one per core). With --resume: this session's.")
    var threads: Int?

    func validate() throws {
        if resume == nil && recipe == nil { throw ValidationError("give a RECIPE, or --resume RUN_DIR") }
        if resume != nil && (recipe != nil || !overrides.isEmpty || out != nil || seed != nil || data != nil) {
            throw ValidationError("--resume continues a run with its own recipe; it takes only --max-steps, --max-minutes and --threads")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let maxSteps, maxSteps <= 0 { throw ValidationError("--max-steps must be positive, got \(maxSteps)") }
        if let maxMinutes, maxMinutes <= 0 { throw ValidationError("--max-minutes must be positive, got \(maxMinutes)") }
    }

    func run() throws {
        guard let world = MPICommunicator.joinIfLaunched() else { return try train(parallel: nil) }
        do {
            try train(parallel: world.size > 1 ? DataParallel(communicator: world) : nil)
        } catch {
            guard world.size > 1 else { throw error }
            // The other ranks would wait for this one's gradients: the whole job ends here.
            FileHandle.standardError.write(Data("Error (rank \(world.rank) of \(world.size)): \(error)\n".utf8))
            world.abort(code: 1)
        }
        world.finish()
    }

    /// Trains in this process, one rank of a data-parallel job when `parallel` is given.
    private func train(parallel: DataParallel?) throws {
        let printer = ProgressPrinter(quiet: !(parallel?.isWriter ?? true))
        if let parallel {
            printer.message("data-parallel: \(parallel.ranks) ranks share each batch of train.batch; rank 0 writes the run")
        }
        let session: TrainingSession
        if let resume {
            session = try TrainingJob.resume(URL(fileURLWithPath: resume), parallel: parallel)
            // After resume, which sets the recipe's count, so that this session's choice wins.
            if let threads { ComputeThreads.count = threads }
            printer.message("resuming \(resume) at step \(session.step)")
            if let threads = session.resumedThreads, threads != ComputeThreads.count {
                printer.message("note: the run so far used \(threads) compute threads, this session \(ComputeThreads.count) (train.threads); results do not depend on the thread count, so it continues exactly as an unbroken run")
            }
        } else {
            // After the --set overrides, so that a dedicated flag wins over a --set of the same key, as --seed always did.
            let flags = [seed.map { "train.seed=\($0)" }, data.map { "data.path=\($0)" }, threads.map { "train.threads=\($0)" }]
            let all = overrides + flags.compactMap { $0 }
            session = try TrainingJob.start(recipe: URL(fileURLWithPath: recipe!), overrides: all,
                                            outputs: URL(fileURLWithPath: "outputs"),
                                            runDirectory: out.map { URL(fileURLWithPath: $0) }, parallel: parallel)
            printer.message("run directory: \(session.run.url.path)")
        }
        if let subset = try ClassSubset.read(from: session.run.url) {
            printer.message("training on \(subset.count) examples, \(subset.perClass) per class (data.per_class, data.subset_seed = \(subset.seed)); their indices are in \(session.run.url.appendingPathComponent(ClassSubset.fileName).path)")
        }
        if !session.classNames.isEmpty {
            let shown = session.classNames.prefix(20).enumerated().map { "\($0.offset) \($0.element)" }.joined(separator: ", ")
            printer.message("classes from folder names (as ImageFolder's class_to_idx): \(shown)\(session.classNames.count > 20 ? ", ... (\(session.classNames.count) in all)" : "")")
        }
        if session.skippedFiles > 0 {
            let reason = session.skippedKind == "audio" ? "could not be decoded or held NaN or infinite samples" : "could not be decoded"
            printer.message("left out \(session.skippedFiles) \(session.skippedKind) files that \(reason); listed in \(session.run.url.appendingPathComponent("data.log").path)")
        }
        printer.message("compute: \(ComputeThreads.count) threads, BLAS kernels \(ComputeThreads.blasCore)")
        StopSignal.install()
        let stop = try session.run(maxSteps: maxSteps, maxMinutes: maxMinutes, shouldStop: { StopSignal.isRaised },
                                   observe: printer.handle)
        switch stop {
        case .finished:
            // A classifier run draws no grids: point at what it has instead.
            let drew = !((try? FileManager.default.contentsOfDirectory(atPath: session.run.samples.path)) ?? []).isEmpty
            printer.message("finished at step \(session.step); " + (drew ? "samples in \(session.run.samples.path)"
                                                                      : "metrics in \(session.run.metricsCSV.path)"))
        case .stepLimit, .timeLimit, .interrupted:
            printer.message("stopped at step \(session.step); continue with: \(Invocation.command) train --resume \(session.run.url.path)")
        }
    }
}
