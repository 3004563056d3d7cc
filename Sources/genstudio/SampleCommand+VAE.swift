import ArgumentParser
import Foundation
import StudioCore
import StudioIO
import StudioModels
import StudioTraining

/// `genstudio sample` on a VAE checkpoint: prior samples, reconstructions, interpolations and the latent manifold.
extension SampleCommand {
    /// Whether the checkpoint (or the recipe given with --weights) describes a VAE.
    func isVAE() throws -> Bool {
        if let recipe {
            return try RecipeLoader.load(URL(fileURLWithPath: recipe)).recipe.model.family == "vae"
        }
        return try LoadedModel.family(checkpoint: URL(fileURLWithPath: checkpoint!)) == "vae"
    }

    func runVAE(output: SampleOutput) throws {
        if batchStatistics { throw SampleError("--batch-statistics is for GAN generators with batch norm") }
        if manifold && (reconstruct != nil || interpolate != nil || latents != nil) {
            throw SampleError("--manifold draws the whole latent plane; it takes no --reconstruct, --interpolate or --latents")
        }
        if reconstruct != nil && latents != nil {
            throw SampleError("--reconstruct encodes images; it takes no --latents")
        }
        let model: LoadedVAE
        if let weights, let recipe {
            model = try LoadedVAE.load(recipe: URL(fileURLWithPath: recipe), weights: URL(fileURLWithPath: weights))
        } else {
            model = try LoadedVAE.load(checkpoint: URL(fileURLWithPath: checkpoint!))
        }
        let layout = grid.flatMap(parseGrid)
        let isGrid = output.url.pathExtension.lowercased() == "png"
        var images: Tensor
        var columns = layout?.columns
        var what = output.noun
        if manifold {
            if let layout, layout.rows != layout.columns { throw SampleError("--manifold needs a square --grid, such as 20x20") }
            let size = layout?.columns ?? count.map { Int(Double($0).squareRoot().rounded()) } ?? 20
            images = try model.manifold(size: size, classLabel: classLabel)
            columns = size
            what = "manifold images"
        } else if let reconstruct {
            let (data, dataLabels) = try ImageFiles.read(URL(fileURLWithPath: reconstruct), channels: model.config.imageShape[0])
            var wanted = Swift.min(data.shape[0], count ?? layout.map { $0.rows / 2 * $0.columns } ?? (interpolate == nil ? 32 : 16))
            // Whole rows only, so each original sits above its own reconstruction.
            if isGrid && interpolate == nil && wanted >= (columns ?? 8) { wanted -= wanted % (columns ?? 8) }
            let originals = data.sliced(alongAxis: 0, 0..<wanted)
            let labels = try classLabel.map { try model.labels(count: wanted, classLabel: $0) }
                ?? (model.config.isConditional ? Array(dataLabels.prefix(wanted)) : [])
            if let steps = interpolate {
                images = try model.interpolate(images: originals, labels: labels, steps: steps)
                columns = steps
                what = "interpolated images"
            } else {
                let reconstructions = try model.reconstruct(images: originals, labels: labels)
                // A picture shows originals above reconstructions; data formats hold the reconstructions alone.
                let width = columns ?? 8
                images = isGrid ? VariationalTask.interleaveRows(originals, reconstructions, columns: width) : reconstructions
                columns = width
                what = "reconstructions"
            }
        } else {
            var given: Tensor?
            if let latents {
                let file = try SafeTensors.read(from: URL(fileURLWithPath: latents))
                guard let tensor = file["latents"] else {
                    throw SampleError("\(latents): has no tensor named 'latents' (found: \(file.entries.map(\.name).joined(separator: ", ")))")
                }
                given = tensor
            }
            let request = SampleRequest(count: count ?? layout.map { $0.rows * $0.columns } ?? (interpolate == nil ? 64 : 8),
                                        seed: seed, latents: given, interpolationSteps: interpolate)
            let z = try model.latents(for: request)
            images = model.decode(latents: z, labels: try model.labels(count: z.shape[0], classLabel: classLabel))
            if let interpolate { columns = interpolate }
        }
        // The writers take the GAN convention, pixels in -1...1.
        let written = try output.write(images * 2 - 1, columns: columns)
        let origin = model.step.map { "step \($0) of " } ?? ""
        let made = what == "reconstructions" && isGrid ? images.shape[0] / 2 : images.shape[0]
        print("wrote \(made) \(what) from \(origin)\(model.source.path) to \(output.place(written))")
    }
}
