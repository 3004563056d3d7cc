import ArgumentParser
import Foundation
import StudioTraining

/// `genstudio sample CHECKPOINT --out PATH`: images from any checkpoint, needing nothing else.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Generate images (or, from an audio model, WAV clips) from a checkpoint.",
        discussion: """
            CHECKPOINT is a run directory (its latest checkpoint), a checkpoint directory or a model.safetensors.
            The output format follows PATH: .png a grid, .idx an IDX image file, .safetensors the raw floats
            (tensor 'samples' [N, C, H, W] in -1...1 for every family, VAEs included, whose 0...1 is mapped
            there: pixel = (value + 1) / 2; the header's metadata says so under value_range), anything else a
            directory with one PNG per image.
            An audio model writes WAV: .wav one file of the clips with 0.25 s silences between them and its
            picture (same name, .png: each clip's waveform and spectrogram), anything else a directory of
            clip-000.wav, clip-001.wav, ... and preview.png.
            """)

    @Argument(help: "Run directory, checkpoint directory or model.safetensors.")
    var checkpoint: String?

    @Option(help: "Output path (.png, .idx, .safetensors with values in -1...1, or a directory; audio models: .wav or a directory).")
    var out: String

    @Option(help: "Audio models: WAV samples as pcm16 (default) or float.")
    var wavFormat: String?

    @Option(help: "Number of images (or interpolation rows).")
    var count: Int?

    @Option(help: "Grid layout ROWSxCOLUMNS for .png output, e.g. 8x8 (sets --count when it is not given).")
    var grid: String?

    @Option(help: "Seed of the latent noise.")
    var seed: UInt64 = 0

    @Option(help: "A safetensors file with tensor 'latents' [N, latent size] (diffusion: the initial noise [N, C, H, W]).")
    var latents: String?

    @Option(help: "Walk between pairs of latents in N steps; one row per pair (GAN and VAE).")
    var interpolate: Int?

    @Option(help: "With --weights: the recipe describing the model the weights belong to.")
    var recipe: String?

    @Option(help: "Weights written by another tool (e.g. a PyTorch state dict saved with safetensors).")
    var weights: String?

    @Flag(help: "GAN: normalise with each batch's statistics instead of the running ones.")
    var batchStatistics = false

    @Option(help: "VAE: encode and decode the images of an IDX file, PNG folder or MNIST-format directory (originals above reconstructions in a .png).")
    var reconstruct: String?

    @Flag(help: "VAE with a 2-dimensional latent: the decoded grid over the latent plane (--grid NxN, default 20x20).")
    var manifold = false

    @Option(name: [.customLong("classes"), .customLong("class")],
            help: "Class-conditional models (GAN, VAE, diffusion): one class for every image, or comma-separated classes taken in turn, e.g. 3 or 0,3,7 (default: 0, 1, 2, ... in turn; --class is the old spelling).")
    var classes: String?

    @OptionGroup var compute: ThreadsOptionGroup

    @OptionGroup(title: "Sampling the model (diffusion models, semi-supervised GANs)")
    var sampling: SamplingOptionGroup

    @OptionGroup var stepsAlias: DenoisingStepsAlias

    @Option(help: "Diffusion: also write a PNG grid of the first samples' denoising: one row per sample, one column per point.")
    var trajectory: String?

    @Option(help: "Diffusion: points along the denoising shown by --trajectory.")
    var trajectoryPoints: Int = 10

    func validate() throws {
        if (recipe == nil) != (weights == nil) { throw ValidationError("--recipe and --weights go together") }
        if checkpoint == nil && weights == nil { throw ValidationError("give a CHECKPOINT, or --recipe RECIPE --weights FILE") }
        if checkpoint != nil && weights != nil { throw ValidationError("give either a CHECKPOINT or --recipe/--weights, not both") }
        if let count, count <= 0 { throw ValidationError("--count must be positive, got \(count)") }
        if let grid, GridLayout(parsing: grid) == nil { throw ValidationError("--grid must look like 8x8, got '\(grid)'") }
    }

    func run() throws {
        compute.apply()
        let options = try sampling.options(batchStatistics: batchStatistics, alias: stepsAlias)
        let model = if let weights, let recipe {
            try GeneratorLoader.load(recipe: URL(fileURLWithPath: recipe), weights: URL(fileURLWithPath: weights), options: options)
        } else {
            try GeneratorLoader.load(checkpoint: URL(fileURLWithPath: checkpoint!), options: options)
        }
        let imageOnly = [grid.map { _ in "--grid" }, reconstruct.map { _ in "--reconstruct" }, manifold ? "--manifold" : nil]
        let output = try SampleOutput(url: URL(fileURLWithPath: out), model: model, wavFormat: wavFormat,
                                      imageOnly: imageOnly.compactMap { $0 }, seed: seed)
        var job = SampleJob()
        job.count = count
        job.grid = grid.flatMap(GridLayout.init(parsing:))
        job.seed = seed
        job.latents = latents.map { URL(fileURLWithPath: $0) }
        job.interpolationSteps = interpolate
        job.classes = try classes.map(ClassList.parse)
        job.reconstruct = reconstruct.map { URL(fileURLWithPath: $0) }
        job.manifold = manifold
        job.trajectory = trajectory.map { URL(fileURLWithPath: $0) }
        job.trajectoryPoints = trajectoryPoints
        let printer = DenoisingProgress()
        let result = try job.run(model, output: output, progress: printer.update)
        printer.finish()
        print("wrote \(result.count) \(result.noun)\(result.detail) from \(model.origin) to \(result.place)")
        if let (rows, columns, url) = result.trajectory {
            print("wrote the denoising of \(rows) samples at \(columns) steps to \(url.relativePath)")
        }
    }
}
