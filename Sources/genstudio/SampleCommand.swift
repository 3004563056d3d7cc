import ArgumentParser
import Foundation
import StudioCore
import StudioIO
import StudioTraining

/// `genstudio sample CHECKPOINT --out PATH`: images from any checkpoint, needing nothing else.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Generate images (or, from an audio model, WAV clips) from a checkpoint.",
        discussion: """
            CHECKPOINT is a run directory (its latest checkpoint), a checkpoint directory or a model.safetensors.
            The output format follows PATH: .png a grid, .idx an IDX image file, .safetensors the raw floats
            (tensor 'samples' [N, C, H, W]), anything else a directory with one PNG per image.
            An audio model writes WAV: .wav one file of the clips with 0.25 s silences between them and its
            picture (same name, .png: each clip's waveform and spectrogram), anything else a directory of
            clip-000.wav, clip-001.wav, ... and preview.png.
            """)

    @Argument(help: "Run directory, checkpoint directory or model.safetensors.")
    var checkpoint: String?

    @Option(help: "Output path (.png, .idx, .safetensors, or a directory; audio models: .wav or a directory).")
    var out: String

    @Option(help: "Audio models: WAV samples as pcm16 (default) or float.")
    var wavFormat: String?

    @Option(help: "Number of images (or interpolation rows).")
    var count: Int?

    @Option(help: "Grid layout ROWSxCOLUMNS for .png output, e.g. 8x8 (sets --count when it is not given).")
    var grid: String?

    @Option(help: "Seed of the latent noise.")
    var seed: UInt64 = 0

    @Option(help: "A safetensors file with tensor 'latents' [N, latent size].")
    var latents: String?

    @Option(help: "Walk between pairs of latents in N steps; one row per pair.")
    var interpolate: Int?

    @Option(help: "With --weights: the recipe describing the model the weights belong to.")
    var recipe: String?

    @Option(help: "Weights written by another tool (e.g. a PyTorch state dict saved with safetensors).")
    var weights: String?

    @Flag(help: "Normalise with each batch's statistics instead of the running ones.")
    var batchStatistics = false

    @Option(help: "VAE: encode and decode the images of an IDX file, PNG folder or MNIST-format directory (originals above reconstructions in a .png).")
    var reconstruct: String?

    @Flag(help: "VAE with a 2-dimensional latent: the decoded grid over the latent plane (--grid NxN, default 20x20).")
    var manifold = false

    @Option(name: .customLong("class"), help: "Class-conditional models (GAN, VAE, diffusion): the class of every image (GAN and diffusion default: 0, 1, 2, ... in turn).")
    var classLabel: Int?

    @OptionGroup(title: "Diffusion models")
    var diffusion: DiffusionSampleOptionGroup

    func validate() throws {
        if (recipe == nil) != (weights == nil) { throw ValidationError("--recipe and --weights go together") }
        if checkpoint == nil && weights == nil { throw ValidationError("give a CHECKPOINT, or --recipe RECIPE --weights FILE") }
        if checkpoint != nil && weights != nil { throw ValidationError("give either a CHECKPOINT or --recipe/--weights, not both") }
        if let count, count <= 0 { throw ValidationError("--count must be positive, got \(count)") }
        if let grid, parseGrid(grid) == nil { throw ValidationError("--grid must look like 8x8, got '\(grid)'") }
    }

    func parseGrid(_ text: String) -> (rows: Int, columns: Int)? {
        let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { return nil }
        return (parts[0], parts[1])
    }

    func run() throws {
        let output = try makeOutput()
        if let checkpoint, try LoadedDiffusion.isDiffusionCheckpoint(URL(fileURLWithPath: checkpoint)) {
            if reconstruct != nil || manifold { throw ValidationError("--reconstruct and --manifold work on VAE checkpoints only") }
            return try runDiffusion(checkpoint: URL(fileURLWithPath: checkpoint), output: output)
        }
        try diffusion.rejectForOtherFamilies()
        if try isVAE() { return try runVAE(output: output) }
        if reconstruct != nil || manifold {
            throw SampleError("--reconstruct and --manifold work on VAE checkpoints; \(checkpoint ?? weights!) holds a GAN")
        }
        let model: LoadedModel
        if let weights, let recipe {
            model = try LoadedModel.load(recipe: URL(fileURLWithPath: recipe), weights: URL(fileURLWithPath: weights))
        } else {
            model = try LoadedModel.load(checkpoint: URL(fileURLWithPath: checkpoint!))
        }
        let layout = grid.flatMap(parseGrid)
        var given: Tensor?
        if let latents {
            let file = try SafeTensors.read(from: URL(fileURLWithPath: latents))
            guard let tensor = file["latents"] else {
                throw SampleError("\(latents): has no tensor named 'latents' (found: \(file.entries.map(\.name).joined(separator: ", ")))")
            }
            let size = model.gan.config.latentSize
            guard tensor.rank == 2, tensor.shape[0] > 0, tensor.shape[1] == size else {
                throw SampleError("\(latents): tensor 'latents' is \(tensor.shape), but this model needs [N, \(size)] with N >= 1")
            }
            given = tensor
        }
        let defaultCount = interpolate == nil ? 64 : 8
        let request = SampleRequest(count: count ?? layout.map { $0.rows * $0.columns } ?? defaultCount, seed: seed,
                                    latents: given, interpolationSteps: interpolate, useBatchStatistics: batchStatistics,
                                    classLabel: classLabel)
        let z = try model.latents(for: request)
        let labels = try model.labels(for: request, count: z.shape[0])
        let images = model.generate(latents: z, labels: labels, useBatchStatistics: batchStatistics)
        let columns = interpolate ?? layout?.columns
        let written = try output.write(images, columns: columns)
        let origin = model.step.map { "step \($0) of " } ?? ""
        print("wrote \(images.shape[0]) \(output.noun) from \(origin)\(model.source.path) to \(output.place(written))")
    }
}
