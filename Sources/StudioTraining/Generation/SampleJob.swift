import Foundation
import StudioCore
import StudioIO

/// What `genstudio sample` makes from a model: plain samples, a latent walk, reconstructions, the
/// latent manifold or a denoising trajectory, written as the output path asks.
public struct SampleJob {
    /// Samples (or interpolation rows); nil for the grid's cells, else 64 (8 rows for a walk).
    public var count: Int?
    /// The layout of a `.png` grid.
    public var grid: GridLayout?
    /// The seed of the initial noise (and of Griffin-Lim for spectrogram models).
    public var seed: UInt64 = 0
    /// A file of explicit initial noise, tensor `latents` `[N] + noiseShape`.
    public var latents: URL?
    /// Points per walk between consecutive pairs of latents (`LatentWalking` models).
    public var interpolationSteps: Int?
    /// The classes of the samples, taken in turn (one for all, or several); nil for sample i of class i mod classes.
    public var classes: [Int]?
    /// Images to encode and decode (`Reconstructing` models): an IDX file, PNG folder or MNIST-format directory.
    public var reconstruct: URL?
    /// Draw the decoded grid over a 2-dimensional latent plane (`Reconstructing` models).
    public var manifold = false
    /// Also write a grid of the first samples' states along the way here (`TrajectoryRecording` models).
    public var trajectory: URL?
    /// Points along the way `trajectory` shows.
    public var trajectoryPoints = 10

    public init() {}

    /// What a finished job wrote, for the caller's message.
    public struct Result {
        /// Examples made (a reconstruction grid's originals not counted).
        public var count: Int
        /// What they are called: images, clips, reconstructions, interpolated images, manifold images.
        public var noun: String
        /// How a sampler made them, e.g. " (ddim, 50 steps, averaged weights)"; empty for other models.
        public var detail: String
        /// The output as messages name it.
        public var place: String
        /// The trajectory grid's samples, points and file, when one was asked for.
        public var trajectory: (rows: Int, columns: Int, url: URL)?
    }

    /// Samples (or walk rows) asked for: `count`, else the grid's cells, else 64 (8 rows for a walk).
    var requestedCount: Int { count ?? grid?.count ?? (interpolationSteps == nil ? 64 : 8) }

    /// The options given that only some models honour, with the ability each needs.
    var modeOptions: [(flag: String, needs: GeneratorAbilities, takers: String)] {
        var flags: [(String, GeneratorAbilities, String)] = []
        if interpolationSteps != nil { flags.append(("--interpolate", .latentWalk, "GAN and VAE checkpoints")) }
        if reconstruct != nil { flags.append(("--reconstruct", .reconstruction, "VAE checkpoints")) }
        if manifold { flags.append(("--manifold", .reconstruction, "VAE checkpoints")) }
        if trajectory != nil { flags.append(("--trajectory", .samplers, "diffusion checkpoints")) }
        return flags
    }

    /// Checks the job against `model` before anything is drawn: options it cannot honour, and
    /// combinations that contradict each other.
    public func check(_ model: any GenerativeModel) throws {
        try SamplingOptions.refuse(modeOptions, for: model)
        if manifold && (reconstruct != nil || interpolationSteps != nil || latents != nil) {
            throw SampleError("--manifold draws the whole latent plane; it takes no --reconstruct, --interpolate or --latents")
        }
        if reconstruct != nil && latents != nil { throw SampleError("--reconstruct encodes images; it takes no --latents") }
        guard trajectoryPoints >= 1 else { throw SampleError("--trajectory-points must be positive, got \(trajectoryPoints)") }
        if let count, count <= 0 { throw SampleError("--count must be positive, got \(count)") }
        let size = model.exampleShape.reduce(1, *)
        let drawn = requestedCount
        try MemoryBudget.check(count: drawn, elementsPerExample: size, what: count != nil ? "--count \(drawn)" : "--grid")
        if let steps = interpolationSteps {
            guard steps >= 2 else { throw SampleError("--interpolate needs at least 2 points, got \(steps)") }
            try MemoryBudget.check(count: drawn.multipliedReportingOverflow(by: steps).overflow ? .max : drawn * steps,
                                   elementsPerExample: size, what: "--interpolate \(steps) with \(drawn) rows")
        }
        if manifold, let side = grid?.columns ?? count.map({ Int(Double($0).squareRoot().rounded()) }) {
            try MemoryBudget.check(count: side.multipliedReportingOverflow(by: side).overflow ? .max : side * side,
                                   elementsPerExample: size, what: "--manifold with \(side) points per side")
        }
    }

    /// Draws from `model` and writes to `output`; `progress(done, total)` follows a sampler's steps.
    public func run(_ model: any GenerativeModel, output: SampleOutput,
                    progress: (Int, Int) -> Void = { _, _ in }) throws -> Result {
        try check(model)
        if manifold, let model = model as? any Reconstructing { return try drawManifold(model, output: output) }
        if let reconstruct, let model = model as? any Reconstructing {
            return try reconstruction(model, images: reconstruct, output: output)
        }
        var noise: Tensor
        if let latents {
            noise = try LatentsFile.read(latents, noiseShape: model.noiseShape)
        } else {
            noise = model.initialNoise(seed: seed, first: 0, count: interpolationSteps == nil ? requestedCount : requestedCount * 2)
        }
        if let steps = interpolationSteps, let model = model as? any LatentWalking { noise = try model.walk(noise, steps: steps) }
        let n = noise.shape[0]
        let labels = try ClassChoice.labels(count: n, classes: classes, model: model, groupSize: interpolationSteps ?? 1)
        var stepNoise = RandomStream.noise.generator(seed: seed)
        var result = Result(count: n, noun: output.noun, detail: "", place: "")
        let examples: Tensor
        if let recorder = model as? any TrajectoryRecording {
            let recorded = trajectory == nil ? [] : trajectorySteps(total: recorder.samplingSteps)
            let drawn = try recorder.draw(noise: noise, labels: labels, stepNoise: &stepNoise, recording: recorded, progress: progress)
            examples = drawn.examples
            let settings = model.settings
            let spacing = settings["spacing"].map { ", \($0) spacing" } ?? ""
            let weights = settings["weights"] == "ema" ? "averaged" : "trained"
            result.detail = " (\(settings["sampler"] ?? ""), \(recorder.samplingSteps) steps\(spacing), \(weights) weights)"
            if let trajectory {
                result.trajectory = try writeTrajectory(drawn.trajectory, to: trajectory, model: model)
            }
        } else {
            examples = try model.draw(noise: noise, labels: labels, stepNoise: &stepNoise, progress: progress)
        }
        let written = try output.write(model.signedRange(examples), columns: interpolationSteps ?? grid?.columns)
        result.place = output.place(written)
        return result
    }

    /// The 0-based denoising steps a trajectory of `trajectoryPoints` points records out of `total`, evenly spaced.
    func trajectorySteps(total: Int) -> [Int] {
        let total = Swift.max(1, total)
        let points = Swift.min(trajectoryPoints, total)
        return Array(Set((0..<points).map {
            points == 1 ? total - 1 : Int((Double($0) * Double(total - 1) / Double(points - 1)).rounded())
        })).sorted()
    }

    /// The first (at most 8) samples' recorded states as a grid, one row per sample.
    func writeTrajectory(_ states: [Tensor], to url: URL, model: any GenerativeModel) throws -> (rows: Int, columns: Int, url: URL) {
        let rows = Swift.min(states[0].shape[0], 8), columns = states.count
        let stacked = Tensor.stack(states, alongAxis: 1).sliced(alongAxis: 0, 0..<rows)
        let frames = model.signedRange(stacked.reshaped(to: Shape([rows * columns] + model.exampleShape))).clamped(min: -1, max: 1)
        try SampleWriter.write(frames, to: url, columns: columns)
        return (rows, columns, url)
    }

    /// The decoded grid over the latent plane.
    func drawManifold(_ model: any Reconstructing, output: SampleOutput) throws -> Result {
        if let grid, grid.rows != grid.columns { throw SampleError("--manifold needs a square --grid, such as 20x20") }
        let size = grid?.columns ?? count.map { Int(Double($0).squareRoot().rounded()) } ?? 20
        if let classes, classes.count > 1 {
            throw SampleError("--manifold draws one class; give one with --classes, not \(classes.map(String.init).joined(separator: ","))")
        }
        let images = try model.manifold(size: size, classLabel: classes?.first)
        let written = try output.write(model.signedRange(images), columns: size)
        return Result(count: images.shape[0], noun: "manifold images", detail: "", place: output.place(written))
    }

    /// Images encoded and decoded: originals above their reconstructions in a picture, the
    /// reconstructions alone in data formats; or walks between the encodings of pairs.
    func reconstruction(_ model: any Reconstructing, images url: URL, output: SampleOutput) throws -> Result {
        let (data, dataLabels) = try ImageFiles.read(url, channels: model.exampleShape[0])
        var columns = grid?.columns
        var wanted = Swift.min(data.shape[0], count ?? grid.map { $0.rows / 2 * $0.columns } ?? (interpolationSteps == nil ? 32 : 16))
        // Whole rows only, so each original sits above its own reconstruction.
        if output.isGrid && interpolationSteps == nil && wanted >= (columns ?? 8) { wanted -= wanted % (columns ?? 8) }
        let originals = data.sliced(alongAxis: 0, 0..<wanted)
        let labels = try classes.map { try ClassChoice.labels(count: wanted, classes: $0, model: model) ?? [] }
            ?? (model.isConditional ? Array(dataLabels.prefix(wanted)) : [])
        let images: Tensor
        let noun: String
        if let steps = interpolationSteps {
            images = try model.interpolate(images: originals, labels: labels, steps: steps)
            columns = steps
            noun = "interpolated images"
        } else {
            let reconstructions = try model.reconstruct(images: originals, labels: labels)
            let width = columns ?? 8
            images = output.isGrid ? VariationalTask.interleaveRows(originals, reconstructions, columns: width) : reconstructions
            columns = width
            noun = "reconstructions"
        }
        let written = try output.write(model.signedRange(images), columns: columns)
        let made = noun == "reconstructions" && output.isGrid ? images.shape[0] / 2 : images.shape[0]
        return Result(count: made, noun: noun, detail: "", place: output.place(written))
    }
}
