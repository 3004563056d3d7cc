import StudioCore
import StudioModels

/// The forward (noising) process of a diffusion model and the one-step updates of its samplers, with
/// every schedule constant formed in Double and applied per sample as `[N, 1, 1, 1]` factors.
public struct DiffusionProcess: Sendable {
    /// β_t and ᾱ_t.
    public let schedule: NoiseSchedule
    /// What the network outputs.
    public let prediction: DiffusionConfig.Prediction

    /// A process over `schedule` whose network predicts `prediction`.
    public init(schedule: NoiseSchedule, prediction: DiffusionConfig.Prediction = .epsilon) {
        self.schedule = schedule
        self.prediction = prediction
    }

    /// The process a model config describes.
    public init(config: DiffusionConfig) {
        self.init(schedule: config.noiseSchedule, prediction: config.prediction)
    }

    /// One factor per sample, `[N, 1, 1, 1]`, from `value(t)`.
    static func factors(_ timesteps: [Int], _ value: (Int) -> Double) -> Tensor {
        Tensor(shape: [timesteps.count, 1, 1, 1], scalars: timesteps.map { Float(value($0)) })
    }

    // MARK: - Training

    /// x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε: `[N, C, H, W]` clean images and noise, N timesteps -> `[N, C, H, W]`.
    public func noised(_ clean: Tensor, noise: Tensor, timesteps: [Int]) -> Tensor {
        precondition(clean.shape == noise.shape, "DiffusionProcess.noised: images \(clean.shape) and noise \(noise.shape) differ")
        let a = Self.factors(timesteps) { schedule.alphasCumulative[$0].squareRoot() }
        let s = Self.factors(timesteps) { (1 - schedule.alphasCumulative[$0]).squareRoot() }
        return clean * a + noise * s
    }

    /// What the network learns to output: ε, or v = √ᾱ ε − √(1−ᾱ) x₀. Same shape as the images.
    public func target(clean: Tensor, noise: Tensor, timesteps: [Int]) -> Tensor {
        switch prediction {
        case .epsilon:
            return noise
        case .v:
            let a = Self.factors(timesteps) { schedule.alphasCumulative[$0].squareRoot() }
            let s = Self.factors(timesteps) { (1 - schedule.alphasCumulative[$0]).squareRoot() }
            return noise * a - clean * s
        }
    }

    /// The mean squared error between the network's output and its target, a `[]` scalar.
    public func loss(output: Tensor, clean: Tensor, noise: Tensor, timesteps: [Int]) -> Tensor {
        precondition(output.shape == clean.shape, "DiffusionProcess.loss: output \(output.shape) and images \(clean.shape) differ")
        return (output - target(clean: clean, noise: noise, timesteps: timesteps)).squared().mean()
    }

    // MARK: - Sampling

    /// The clean image the network's `output` implies for `x` at timestep `t`, clipped to [-1, 1] when asked.
    public func predictedClean(x: Tensor, output: Tensor, t: Int, clip: Bool) -> Tensor {
        let abar = schedule.alphasCumulative[t]
        let clean: Tensor
        switch prediction {
        case .epsilon: clean = (x - output * Float((1 - abar).squareRoot())) * Float(1 / abar.squareRoot())
        case .v: clean = x * Float(abar.squareRoot()) - output * Float((1 - abar).squareRoot())
        }
        return clip ? clean.clamped(min: -1, max: 1) : clean
    }

    /// The noise that takes `clean` to `x` at timestep `t`: ε = (x − √ᾱ_t x₀) / √(1−ᾱ_t).
    public func impliedNoise(x: Tensor, clean: Tensor, t: Int) -> Tensor {
        let abar = schedule.alphasCumulative[t]
        return (x - clean * Float(abar.squareRoot())) * Float(1 / (1 - abar).squareRoot())
    }

    /// One ancestral DDPM step from timestep `t` to `previous` (t − 1, or an earlier step of a shortened
    /// schedule; −1 for the end): the posterior mean of x_prev given x_t and the predicted x₀, plus
    /// √β̃ `noise` with β̃ = (1−ᾱ_prev)/(1−ᾱ_t) · (1 − ᾱ_t/ᾱ_prev). `noise` has x's shape.
    public func ddpmStep(x: Tensor, output: Tensor, t: Int, previous: Int, noise: Tensor, clip: Bool = true) -> Tensor {
        let abar = schedule.alphaCumulative(t), abarPrevious = schedule.alphaCumulative(previous)
        let beta = 1 - abar / abarPrevious
        let clean = predictedClean(x: x, output: output, t: t, clip: clip)
        let cleanFactor = beta * abarPrevious.squareRoot() / (1 - abar)
        let xFactor = (1 - abarPrevious) * (1 - beta).squareRoot() / (1 - abar)
        let variance = beta * (1 - abarPrevious) / (1 - abar)
        let mean = clean * Float(cleanFactor) + x * Float(xFactor)
        return variance > 0 ? mean + noise * Float(variance.squareRoot()) : mean
    }

    /// One DDIM step from `t` to `previous` with stochasticity `eta` (0: deterministic; 1: the DDPM
    /// posterior): √ᾱ_prev x₀ + √(1−ᾱ_prev−σ²) ε + σ `noise`, σ = η √((1−ᾱ_prev)/(1−ᾱ_t)) √(1−ᾱ_t/ᾱ_prev),
    /// with ε recomputed from the (clipped) x₀ so that η = 1 matches `ddpmStep` exactly.
    public func ddimStep(x: Tensor, output: Tensor, t: Int, previous: Int, eta: Double, noise: Tensor?, clip: Bool = true) -> Tensor {
        let abar = schedule.alphaCumulative(t), abarPrevious = schedule.alphaCumulative(previous)
        let clean = predictedClean(x: x, output: output, t: t, clip: clip)
        let epsilon = impliedNoise(x: x, clean: clean, t: t)
        let sigma = eta * ((1 - abarPrevious) / (1 - abar) * (1 - abar / abarPrevious)).squareRoot()
        let direction = Swift.max(0, 1 - abarPrevious - sigma * sigma).squareRoot()
        var result = clean * Float(abarPrevious.squareRoot()) + epsilon * Float(direction)
        if sigma > 0 {
            guard let noise else { preconditionFailure("DiffusionProcess.ddimStep: eta \(eta) > 0 needs noise") }
            result = result + noise * Float(sigma)
        }
        return result
    }

    /// Classifier-free guidance: u + w (c − u) for the unconditional and conditional outputs.
    public static func guided(unconditional: Tensor, conditional: Tensor, scale: Double) -> Tensor {
        unconditional + (conditional - unconditional) * Float(scale)
    }
}
