import ArgumentParser
import Foundation
import StudioCore
import StudioIO
import StudioModels
import StudioTraining

/// `genstudio sample` options that only diffusion checkpoints take.
struct DiffusionSampleOptionGroup: ParsableArguments {
    @Option(help: "Sampler: ddpm (ancestral) or ddim.")
    var sampler: String?

    @Option(help: "Denoising steps, 1...T (default: T for ddpm, 50 for ddim).")
    var steps: Int?

    @Option(help: "DDIM stochasticity: 0 deterministic (default), 1 like DDPM.")
    var eta: Double?

    @Option(help: "Classifier-free guidance scale for class-conditional models (default 3; 1 is the conditional model alone).")
    var guidance: Double?

    @Option(help: "Also write a PNG grid of the first samples' denoising: one row per sample, one column per point.")
    var trajectory: String?

    @Option(help: "Points along the denoising shown by --trajectory.")
    var trajectoryPoints: Int = 10

    @Flag(help: "Sample with the trained weights instead of their moving average.")
    var noEma = false

    /// The sampler `--sampler` names; DDIM when none is given.
    static func kind(_ name: String?) throws -> DiffusionSamplerKind {
        guard let name else { return .ddim }
        guard let parsed = DiffusionSamplerKind(rawValue: name.lowercased()) else {
            throw ValidationError("--sampler must be ddpm or ddim, got '\(name)'")
        }
        return parsed
    }

    /// Fails when a diffusion-only option is given for another family's checkpoint.
    func rejectForOtherFamilies() throws {
        let given = [sampler.map { _ in "--sampler" }, steps.map { _ in "--steps" }, eta.map { _ in "--eta" },
                     guidance.map { _ in "--guidance" },
                     trajectory.map { _ in "--trajectory" }, noEma ? "--no-ema" : nil].compactMap { $0 }
        if !given.isEmpty {
            throw ValidationError("\(given.joined(separator: ", ")) apply to diffusion checkpoints only")
        }
    }
}

extension SampleCommand {
    /// Samples a diffusion checkpoint with DDPM or DDIM, printing progress over the denoising steps.
    func runDiffusion(checkpoint: URL, output: SampleOutput) throws {
        let options = diffusion
        if interpolate != nil { throw ValidationError("--interpolate applies to GAN checkpoints only") }
        if batchStatistics { throw ValidationError("--batch-statistics applies to GAN checkpoints only") }
        guard options.trajectoryPoints >= 1 else { throw ValidationError("--trajectory-points must be positive, got \(options.trajectoryPoints)") }
        let kind = try DiffusionSampleOptionGroup.kind(options.sampler)
        let model = try LoadedDiffusion.load(checkpoint: checkpoint, averaged: !options.noEma)
        let config = model.config
        let layout = grid.flatMap { text -> (rows: Int, columns: Int)? in
            let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
            return parts.count == 2 ? (parts[0], parts[1]) : nil
        }

        var noise: Tensor
        if let latents {
            let file = try SafeTensors.read(from: URL(fileURLWithPath: latents))
            guard let tensor = file["latents"] else {
                throw SampleError("\(latents): has no tensor named 'latents' (found: \(file.entries.map(\.name).joined(separator: ", ")))")
            }
            guard tensor.rank == 4, tensor.shape[0] > 0, Array(tensor.shape.dimensions.dropFirst()) == config.imageShape else {
                throw SampleError("\(latents): tensor 'latents' is \(tensor.shape), but this model's initial noise is [N, \(config.imageShape.map(String.init).joined(separator: ", "))] with N >= 1")
            }
            noise = tensor
        } else {
            let n = count ?? layout.map { $0.rows * $0.columns } ?? 64
            var generator = RandomGenerator(seed: seed, stream: 5)
            noise = Tensor.randomNormal(Shape([n] + config.imageShape), using: &generator)
        }
        let n = noise.shape[0]
        if options.guidance != nil && !config.isConditional {
            throw SampleError("--guidance needs a class-conditional model; this one is unconditional")
        }
        if let label = classLabel, !config.isConditional {
            throw SampleError("--class \(label): this model is unconditional (trained without classes)")
        }
        let labels: [Int]? = config.isConditional
            ? classLabel.map { [Int](repeating: $0, count: n) } ?? (0..<n).map { $0 % config.classes } : nil
        let steps = options.steps
        let resolved = DiffusionSampleOptions(sampler: kind, steps: steps, eta: options.eta ?? 0,
                                              guidance: options.guidance ?? (config.isConditional ? DiffusionTask.gridGuidance : 1))
        var request = resolved
        if options.trajectory != nil {
            let total = max(1, min(steps ?? resolved.resolvedSteps(timesteps: config.timesteps), config.timesteps))
            let points = min(options.trajectoryPoints, total)
            request.trajectorySteps = Array(Set((0..<points).map { points == 1 ? total - 1 : Int((Double($0) * Double(total - 1) / Double(points - 1)).rounded()) })).sorted()
        }

        let printer = DenoisingProgress()
        var generator = RandomGenerator(seed: seed, stream: 6)
        let result = try model.sampler.sample(noise: noise, labels: labels, options: request, generator: &generator,
                                              progress: printer.update)
        printer.finish()
        let written = try output.write(result.images, columns: layout?.columns)
        let origin = model.step.map { "step \($0) of " } ?? ""
        let weights = model.usesAveragedWeights ? "averaged" : "trained"
        print("wrote \(n) \(output.noun) (\(kind.rawValue), \(request.resolvedSteps(timesteps: config.timesteps)) steps, \(weights) weights) from \(origin)\(model.source.path) to \(output.place(written))")
        if let path = options.trajectory {
            let rows = min(n, 8), columns = result.trajectory.count
            let stacked = Tensor.stack(result.trajectory, alongAxis: 1).sliced(alongAxis: 0, 0..<rows)
            let frames = stacked.reshaped(to: Shape([rows * columns] + config.imageShape)).clamped(min: -1, max: 1)
            try SampleWriter.write(frames, to: URL(fileURLWithPath: path), columns: columns)
            print("wrote the denoising of \(rows) samples at \(columns) steps to \(path)")
        }
    }
}

/// Shows the denoising steps: one self-overwriting line on a terminal, a line per tenth otherwise.
final class DenoisingProgress {
    private let isTerminal = isatty(STDOUT_FILENO) != 0
    private var lastTenth = -1
    private let start = Date()
    private let label: String

    init(label: String = "denoising step") { self.label = label }

    func update(_ done: Int, _ total: Int) {
        let elapsed = Date().timeIntervalSince(start)
        let line = "\(label) \(done)/\(total)  \(String(format: "%.1f", elapsed)) s"
        if isTerminal {
            print("\r\(line)\u{1B}[K", terminator: "")
            fflush(stdout)
        } else if done * 10 / total > lastTenth {
            lastTenth = done * 10 / total
            print(line)
        }
    }

    func finish() {
        if isTerminal { print("") }
    }
}
