import StudioCore
import StudioModels
import StudioNN

/// The ways of walking from noise to images.
public enum DiffusionSamplerKind: String, CaseIterable, Sendable {
    /// Ancestral sampling (Ho et al.), normally over all T steps.
    case ddpm
    /// DDIM (Song et al.), deterministic with eta 0, usually over 20 to 50 steps.
    case ddim
    /// DPM-Solver++(2M) (Lu et al. 2022), deterministic, second order: good samples in 10 to 20 steps.
    case dpmSolverPlusPlus2M = "dpm++2m"

    /// The spacing used when none is asked for: DDPM and DDIM keep the uniform spacing they always
    /// had; DPM-Solver++ starts at T − 1 (trailing), as its few steps cannot afford to skip the
    /// noisiest part of the path, which uniform spacing does (it starts at T − T/steps).
    public var defaultSpacing: TimestepSpacing { self == .dpmSolverPlusPlus2M ? .trailing : .uniform }

    /// The steps used when none are asked for, for a model of `timesteps` steps: all for DDPM, 50 for
    /// DDIM, 20 for DPM-Solver++ (the paper's 15 to 20 for guided sampling), at most T.
    public func defaultSteps(timesteps: Int) -> Int {
        switch self {
        case .ddpm: return timesteps
        case .ddim: return Swift.min(50, timesteps)
        case .dpmSolverPlusPlus2M: return Swift.min(20, timesteps)
        }
    }
}

/// How to sample a diffusion model.
public struct DiffusionSampleOptions: Sendable {
    /// DDPM, DDIM or DPM-Solver++(2M).
    public var sampler: DiffusionSamplerKind
    /// Denoising steps; nil for the sampler's default (T for DDPM, min(50, T) for DDIM, min(20, T) for DPM-Solver++).
    public var steps: Int?
    /// Where the steps lie among the T timesteps; nil for the sampler's default (`defaultSpacing`).
    public var spacing: TimestepSpacing?
    /// DDIM's stochasticity: 0 deterministic, 1 the DDPM posterior.
    public var eta: Double
    /// Classifier-free guidance scale w for conditional sampling (1: the conditional model alone).
    public var guidance: Double
    /// Whether each predicted clean image is clipped to [-1, 1].
    public var clip: Bool
    /// Indices of denoising steps (0-based, in the order they run) after which `x` is recorded.
    public var trajectorySteps: [Int]

    /// DDIM with eta 0 and the default steps, unguided, clipped, no trajectory unless asked.
    public init(sampler: DiffusionSamplerKind = .ddim, steps: Int? = nil, spacing: TimestepSpacing? = nil, eta: Double = 0,
                guidance: Double = 1, clip: Bool = true, trajectorySteps: [Int] = []) {
        self.sampler = sampler
        self.steps = steps
        self.spacing = spacing
        self.eta = eta
        self.guidance = guidance
        self.clip = clip
        self.trajectorySteps = trajectorySteps
    }

    /// The number of steps these options run for a schedule of `timesteps` steps.
    public func resolvedSteps(timesteps: Int) -> Int {
        steps ?? sampler.defaultSteps(timesteps: timesteps)
    }

    /// The spacing these options run: the one asked for, or the sampler's default.
    public var resolvedSpacing: TimestepSpacing { spacing ?? sampler.defaultSpacing }
}

/// Images from a diffusion model and, when asked, snapshots of the way there.
public struct DiffusionSamples {
    /// `[N, C, H, W]` in -1...1.
    public var images: Tensor
    /// One `[N, C, H, W]` snapshot per requested trajectory step, in step order.
    public var trajectory: [Tensor]
}

/// Runs DDPM, DDIM or DPM-Solver++(2M) sampling with a UNet, optionally class-conditional with classifier-free guidance.
public struct DiffusionSampler {
    /// The denoising network (with the weights to sample from already in it).
    public let unet: UNet
    /// The schedule and prediction target the network was trained with.
    public let process: DiffusionProcess

    /// A sampler over `unet` and `process`.
    public init(unet: UNet, process: DiffusionProcess) {
        self.unet = unet
        self.process = process
    }

    /// Checks a request against the model: step count, eta, guidance and classes.
    public func check(_ options: DiffusionSampleOptions, labels: [Int]?) throws {
        let t = process.schedule.count
        if let steps = options.steps, steps < 1 || steps > t {
            throw SampleError("--denoising-steps must lie in 1...\(t) (the model's timesteps T), got \(steps)")
        }
        guard options.eta >= 0 && options.eta.isFinite else { throw SampleError("--eta must be 0 or positive, got \(options.eta)") }
        if options.sampler == .ddpm && options.eta != 0 {
            throw SampleError("--eta applies to the ddim sampler only (ddpm always adds the posterior noise)")
        }
        if options.sampler == .dpmSolverPlusPlus2M && options.eta != 0 {
            throw SampleError("--eta applies to the ddim sampler only (dpm++2m adds no noise)")
        }
        guard options.guidance.isFinite else { throw SampleError("--guidance must be a finite number, got \(options.guidance)") }
        if unet.classCount == 0 {
            if labels != nil { throw SampleError("--classes: this model is unconditional (trained without classes)") }
            if options.guidance != 1 { throw SampleError("--guidance needs a class-conditional model; this one is unconditional") }
        } else if let labels {
            if let bad = labels.first(where: { !(0..<unet.classCount).contains($0) }) {
                throw SampleError("--classes: class \(bad) is outside the trained classes 0...\(unet.classCount - 1)")
            }
        }
        let steps = options.resolvedSteps(timesteps: t)
        if let bad = options.trajectorySteps.first(where: { !(0..<steps).contains($0) }) {
            throw SampleError("trajectory step \(bad) is outside the \(steps) denoising steps")
        }
    }

    /// The network's output for `x` at timestep `t`, guided when `labels` are given and w ≠ 1.
    func output(_ x: Tensor, t: Int, labels: [Int]?, guidance: Double) -> Tensor {
        let n = x.shape[0]
        let times = [Double](repeating: Double(t), count: n)
        guard let labels, unet.classCount > 0 else {
            let none: [Int]? = unet.classCount > 0 ? [Int](repeating: unet.classCount, count: n) : nil
            return unet(x, timesteps: times, labels: none, context: .inference)
        }
        if guidance == 1 { return unet(x, timesteps: times, labels: labels, context: .inference) }
        // Both passes in one batch: the conditional half, then the "no class" half.
        let both = unet(Tensor.concatenate([x, x], alongAxis: 0), timesteps: times + times,
                        labels: labels + [Int](repeating: unet.classCount, count: n), context: .inference)
        return DiffusionProcess.guided(unconditional: both.sliced(alongAxis: 0, n..<(2 * n)),
                                       conditional: both.sliced(alongAxis: 0, 0..<n), scale: guidance)
    }

    /// Denoises `noise` `[N, C, H, W]` (the x_T) into images; step noise is drawn from `generator`.
    /// `labels` (N classes) make a conditional model sample those classes; nil samples it unconditionally.
    /// `progress(done, total)` is called after every step.
    public func sample(noise: Tensor, labels: [Int]?, options: DiffusionSampleOptions,
                       generator: inout RandomGenerator, progress: (Int, Int) -> Void = { _, _ in }) throws -> DiffusionSamples {
        try check(options, labels: labels)
        return denoise(noise: noise, labels: labels, options: options, generator: &generator, progress: progress)
    }

    /// `sample` with one generator per sample (see `DiffusionNoise`), so that sample i's step noise does
    /// not depend on which other samples share its batch; `generators` holds N generators, which advance.
    public func sample(noise: Tensor, labels: [Int]?, options: DiffusionSampleOptions,
                       sampleGenerators generators: inout [RandomGenerator],
                       progress: (Int, Int) -> Void = { _, _ in }) throws -> DiffusionSamples {
        try check(options, labels: labels)
        precondition(generators.count == noise.shape[0], "DiffusionSampler: \(generators.count) generators for noise \(noise.shape)")
        return denoise(noise: noise, labels: labels, options: options, progress: progress) { shape in
            DiffusionNoise.rows(shape, generators: &generators)
        }
    }

    /// `sample` for options already checked.
    func denoise(noise: Tensor, labels: [Int]?, options: DiffusionSampleOptions,
                 generator: inout RandomGenerator, progress: (Int, Int) -> Void = { _, _ in }) -> DiffusionSamples {
        denoise(noise: noise, labels: labels, options: options, progress: progress) { Tensor.randomNormal($0, using: &generator) }
    }

    /// `sample` for options already checked, step noise of a shape coming from `draw`.
    func denoise(noise: Tensor, labels: [Int]?, options: DiffusionSampleOptions,
                 progress: (Int, Int) -> Void, draw: (Shape) -> Tensor) -> DiffusionSamples {
        precondition(labels == nil || labels!.count == noise.shape[0], "DiffusionSampler: \(labels!.count) labels for noise \(noise.shape)")
        return Self.denoise(noise: noise, process: process, options: options, progress: progress, draw: draw) { x, t in
            self.output(x, t: t, labels: labels, guidance: options.guidance)
        }
    }

    /// The denoising loop over any network: `model(x, t)` is the (guided) output for `x` at timestep
    /// t, so that tests can put a closure with known answers where the UNet goes.
    static func denoise(noise: Tensor, process: DiffusionProcess, options: DiffusionSampleOptions,
                        progress: (Int, Int) -> Void, draw: (Shape) -> Tensor,
                        model: (Tensor, Int) -> Tensor) -> DiffusionSamples {
        let steps = options.resolvedSteps(timesteps: process.schedule.count)
        let times = process.schedule.timesteps(count: steps, spacing: options.resolvedSpacing)
        var x = noise
        var trajectory: [Tensor] = []
        var history = DPMSolverHistory()
        let wanted = Set(options.trajectorySteps)
        withoutGradients {
            for (index, t) in times.enumerated().reversed() {
                let previous = index > 0 ? times[index - 1] : -1
                let output = model(x, t)
                let done = steps - index
                switch options.sampler {
                case .ddpm:
                    let z = previous >= 0 ? draw(x.shape) : Tensor(zeros: x.shape)
                    x = process.ddpmStep(x: x, output: output, t: t, previous: previous, noise: z, clip: options.clip)
                case .ddim:
                    let z = options.eta > 0 && previous >= 0 ? draw(x.shape) : nil
                    x = process.ddimStep(x: x, output: output, t: t, previous: previous, eta: options.eta, noise: z, clip: options.clip)
                case .dpmSolverPlusPlus2M:
                    let clean = process.predictedClean(x: x, output: output, t: t, clip: options.clip)
                    x = history.step(process, x: x, clean: clean, t: t, previous: previous)
                }
                if wanted.contains(done - 1) { trajectory.append(x) }
                progress(done, steps)
            }
        }
        return DiffusionSamples(images: x.clamped(min: -1, max: 1), trajectory: trajectory)
    }
}

/// Diffusion sampling noise that depends only on (seed, global sample index): the initial x_T and a
/// step-noise generator per sample, so that a job's sample i is the same however samples are batched or sharded.
public enum DiffusionNoise {
    /// x_T `[indices.count] + sampleShape`; row j is N(0, 1) from the generator of (`seed`, the sample-latents stream, step `indices[j]`).
    public static func initial(seed: UInt64, indices: [Int], sampleShape: [Int]) -> Tensor {
        var generators = indices.map { RandomGenerator(seed: seed, stream: RandomStream.sampleLatents.rawValue, step: UInt64($0)) }
        return rows(Shape([indices.count] + sampleShape), generators: &generators)
    }

    /// The step-noise generators of samples `indices`: (`seed`, the noise stream, step index).
    public static func stepGenerators(seed: UInt64, indices: [Int]) -> [RandomGenerator] {
        indices.map { RandomGenerator(seed: seed, stream: RandomStream.noise.rawValue, step: UInt64($0)) }
    }

    /// N(0, 1) of `shape` whose row i comes from `generators[i]`.
    static func rows(_ shape: Shape, generators: inout [RandomGenerator]) -> Tensor {
        precondition(shape[0] == generators.count, "DiffusionNoise: \(generators.count) generators for shape \(shape)")
        let rowSize = shape.elementCount / Swift.max(1, shape[0])
        var result = Tensor(zeros: shape)
        result.withUnsafeMutableBufferPointer { buffer in
            for row in 0..<shape[0] {
                generators[row].fillNormal(UnsafeMutableBufferPointer(rebasing: buffer[(row * rowSize)..<((row + 1) * rowSize)]))
            }
        }
        return result
    }
}
