import ArgumentParser
import Foundation
import StudioCore
import StudioTraining

/// `genstudio augment CHECKPOINT ...` and `genstudio augment merge DIR...`.
struct AugmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "augment",
        abstract: "Generate a labelled synthetic data set from a class-conditional checkpoint.",
        subcommands: [AugmentRun.self, AugmentMerge.self],
        defaultSubcommand: AugmentRun.self)
}

/// Generates `--per-class` samples of each class, sharded and resumable, with a manifest.
struct AugmentRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Generate samples per class (the default: `genstudio augment CHECKPOINT ...`).",
        discussion: """
        Sample i of class c starts from noise drawn from (seed, c, i), and work goes in blocks of \
        --block-size samples, so the output is the same for any --shard split (join shards with \
        `genstudio augment merge`). Run the same command again to resume a stopped job; Ctrl-C stops \
        after the current block. --shard auto takes the shard from the scheduler: under mpirun or srun \
        each rank generates its shard under OUT/.shards/ and rank 0 merges them into OUT; in a Slurm job \
        array each task writes OUT/.shards/I-of-N, to merge once all are done (docs/cluster.md).
        """)

    @Argument(help: "A class-conditional checkpoint: run directory, checkpoint directory or model.safetensors.")
    var checkpoint: String

    @Option(help: "Samples per class.")
    var perClass: Int

    @Option(help: "Comma-separated classes to generate (default: all the model's classes).")
    var classes: String?

    @Option(help: "Output format: idx (train-images/labels files MNIST loaders read) or png (DIR/<class>/<index>.png); audio models: wav (DIR/<class>/<index>.wav). Default: idx, or wav for an audio model.")
    var format: String?

    @Option(help: "The output directory; it holds the output files (class folders for png/wav, which torchvision's ImageFolder reads), manifest.json and the hidden block files .block-*.safetensors.")
    var out: String

    @Option(help: "The job seed.")
    var seed: UInt64 = 0

    @Option(help: "This process's part of the job, I/N (0-based), or auto: from the MPI rank or the Slurm array task.")
    var shard: String = "0/1"

    @Option(help: "Samples generated at once: the unit of sharding and resuming.")
    var blockSize: Int = 64

    @Option(help: "Keep only samples this classifier checkpoint assigns to their class with --min-confidence.")
    var filter: String?

    @Option(help: "With --filter: the least probability of the asked-for class a kept sample has.")
    var minConfidence: Double?

    @Option(help: "With --filter: candidates tried per kept sample at most before the job fails.")
    var maxTries: Int = 20

    @OptionGroup var compute: ThreadsOptionGroup

    @OptionGroup(title: "Sampling the model (diffusion models, semi-supervised GANs)")
    var sampling: SamplingOptionGroup

    @OptionGroup var stepsAlias: DenoisingStepsAlias

    func run() throws {
        guard shard == "auto" else { return try generate(shard: try Shard(parsing: shard), directory: URL(fileURLWithPath: out)) }
        let output = URL(fileURLWithPath: out)
        if let world = MPICommunicator.joinIfLaunched() {
            let part = Shard(index: world.rank, count: world.size)
            do {
                try generate(shard: part, directory: part.directory(in: output), quiet: world.rank != 0)
                // Ranks agree the job was not stopped before rank 0 merges every shard.
                let stopped = world.any(StopSignal.isRaised)
                if world.rank == 0 && !stopped {
                    let shards = (0..<world.size).map { Shard(index: $0, count: world.size).directory(in: output) }
                    let manifest = try AugmentationJob.merge(shards, into: output)
                    print("merged \(world.size) ranks' shards: \(manifest.counts.values.reduce(0, +)) samples in \(out)")
                }
                world.barrier()
            } catch {
                FileHandle.standardError.write(Data("Error (rank \(world.rank) of \(world.size)): \(error)\n".utf8))
                world.abort(code: 1)
            }
            world.finish()
            return
        }
        guard let part = try Shard.slurmArray(environment: ProcessInfo.processInfo.environment) else {
            throw SampleError("--shard auto takes the shard from mpirun or srun (an MPI rank) or a Slurm job array (SLURM_ARRAY_TASK_ID); neither is here. Give --shard I/N")
        }
        try generate(shard: part, directory: part.directory(in: output))
        print("shard \(part) finished in \(part.directory(in: output).path); when all \(part.count) are, join them with: genstudio augment merge \(output.path)/.shards/*-of-\(part.count) --out \(output.path)")
    }

    /// Generates `shard` of the job into `directory`.
    private func generate(shard: Shard, directory: URL, quiet: Bool = false) throws {
        compute.apply()
        let source = try GeneratorLoader.load(checkpoint: URL(fileURLWithPath: checkpoint), options: try sampling.options(alias: stepsAlias))
        let name = format ?? (source.audio == nil ? "idx" : "wav")
        guard let format = AugmentationFormat(rawValue: name) else {
            throw ValidationError("--format must be one of \(AugmentationFormat.allCases.map(\.rawValue).joined(separator: ", ")), got '\(name)'")
        }
        let chosen = try classes.map(ClassList.parse) ?? Array(0..<source.classCount)
        let spec = AugmentationSpec(perClass: perClass, classes: chosen, seed: seed, format: format, blockSize: blockSize,
                                    minConfidence: minConfidence, maxTries: maxTries)
        let sampleFilter = try filter.map { try LoadedClassifier.load(checkpoint: URL(fileURLWithPath: $0)) }
        let job = try AugmentationJob(source: source, spec: spec, shard: shard, filter: sampleFilter, directory: directory)
        let printer = ProgressPrinter(quiet: quiet)
        printer.message("augment: \(chosen.count) classes x \(perClass) samples, shard \(job.shard), \(source.settings.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")) -> \(directory.path)")
        StopSignal.install()
        let start = Date()
        let manifest = try job.run(shouldStop: { StopSignal.isRaised }) { state in
            let elapsed = Date().timeIntervalSince(start)
            let rate = Double(state.kept - state.resumed) / max(elapsed, 1e-9)
            let left = rate > 0 ? Double(state.total - state.kept) / rate : .infinity
            let rejected = state.generated - (state.kept - state.resumed)
            printer.progress("samples \(state.kept)/\(state.total)  \(String(format: "%.1f", rate)) samples/s  rejected \(rejected)  ETA \(ProgressPrinter.duration(left))",
                             force: state.kept == state.total)
        }
        guard let manifest else {
            printer.message("stopped; run the same command again to resume")
            return
        }
        let rejected = manifest.rejected.values.reduce(0, +)
        printer.message("wrote \(manifest.counts.values.reduce(0, +)) samples (\(rejected) rejected) as \(format.rawValue) to \(directory.path) with \(AugmentationManifest.fileName)")
    }
}

/// `genstudio augment merge DIR... --out DIR`: joins the shards of one job.
struct AugmentMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the finished shard directories of one augmentation job, checking their manifests agree.")

    @Argument(help: "The shard directories.")
    var directories: [String]

    @Option(help: "The merged output directory (may be one of the shard directories' parent, not one of them).")
    var out: String

    func run() throws {
        let manifest = try AugmentationJob.merge(directories.map { URL(fileURLWithPath: $0) }, into: URL(fileURLWithPath: out))
        print("merged \(directories.count) shards: \(manifest.counts.values.reduce(0, +)) samples in \(out)")
    }
}
