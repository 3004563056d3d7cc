/// A denoising diffusion model as `[model]` with `family = "diffusion"` describes it: the UNet, the
/// noise schedule, what the network predicts, and the two training settings that shape the saved model
/// (its moving average and the label dropout that classifier-free guidance needs).
public struct DiffusionConfig: Codable, Equatable, Sendable {
    /// How the noise variances β_t grow over the timesteps.
    public enum Schedule: String, Codable, Sendable, CaseIterable {
        /// β from `beta_start` to `beta_end` in equal steps (Ho et al. 2020).
        case linear
        /// ᾱ_t following a squared cosine (Nichol & Dhariwal 2021), β capped at 0.999.
        case cosine
    }

    /// The network's target.
    public enum Prediction: String, Codable, Sendable, CaseIterable {
        /// The added noise ε.
        case epsilon
        /// v = √ᾱ ε − √(1−ᾱ) x₀ (Salimans & Ho 2022).
        case v
    }

    /// `[C, H, W]` of the images.
    public var imageShape: [Int]
    /// Classes the model is conditioned on; 0 for an unconditional model.
    public var classes: Int
    /// The noise schedule.
    public var schedule: Schedule
    /// The number of diffusion steps T.
    public var timesteps: Int
    /// β_1 of the linear schedule.
    public var betaStart: Double
    /// β_T of the linear schedule.
    public var betaEnd: Double
    /// The network's target.
    public var prediction: Prediction
    /// Decay of the exponential moving average of the weights.
    public var emaDecay: Double
    /// Whether the average starts with the smaller warm-up decay min(decay, (1+n)/(10+n)).
    public var emaWarmup: Bool
    /// The chance that a training label is replaced by "no class", for classifier-free guidance.
    public var labelDropout: Double
    /// The denoising network.
    public var unet: UNetConfig

    enum CodingKeys: String, CodingKey, CaseIterable {
        case imageShape = "image_shape", classes, schedule, timesteps, betaStart = "beta_start", betaEnd = "beta_end"
        case prediction, emaDecay = "ema_decay", emaWarmup = "ema_warmup", labelDropout = "label_dropout", unet
    }

    /// A config with DDPM's defaults: linear β from 1e-4 to 0.02 over 1000 steps, ε prediction.
    public init(imageShape: [Int], classes: Int = 0, schedule: Schedule = .linear, timesteps: Int = 1000,
                betaStart: Double = 1e-4, betaEnd: Double = 0.02, prediction: Prediction = .epsilon,
                emaDecay: Double = 0.999, emaWarmup: Bool = true, labelDropout: Double = 0.1, unet: UNetConfig = UNetConfig()) {
        self.imageShape = imageShape
        self.classes = classes
        self.schedule = schedule
        self.timesteps = timesteps
        self.betaStart = betaStart
        self.betaEnd = betaEnd
        self.prediction = prediction
        self.emaDecay = emaDecay
        self.emaWarmup = emaWarmup
        self.labelDropout = labelDropout
        self.unet = unet
    }

    public init(from decoder: Decoder) throws {
        // `family` is the tag `ModelConfig` reads before handing the same table over.
        try decoder.rejectUnknownKeys(["family"] + CodingKeys.allCases.map(\.stringValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DiffusionConfig(imageShape: [])
        imageShape = try c.decode([Int].self, forKey: .imageShape)
        classes = try c.decodeIfPresent(Int.self, forKey: .classes) ?? d.classes
        schedule = try c.decodeIfPresent(Schedule.self, forKey: .schedule) ?? d.schedule
        timesteps = try c.decodeIfPresent(Int.self, forKey: .timesteps) ?? d.timesteps
        betaStart = try c.decodeIfPresent(Double.self, forKey: .betaStart) ?? d.betaStart
        betaEnd = try c.decodeIfPresent(Double.self, forKey: .betaEnd) ?? d.betaEnd
        prediction = try c.decodeIfPresent(Prediction.self, forKey: .prediction) ?? d.prediction
        emaDecay = try c.decodeIfPresent(Double.self, forKey: .emaDecay) ?? d.emaDecay
        emaWarmup = try c.decodeIfPresent(Bool.self, forKey: .emaWarmup) ?? d.emaWarmup
        labelDropout = try c.decodeIfPresent(Double.self, forKey: .labelDropout) ?? d.labelDropout
        unet = try c.decodeIfPresent(UNetConfig.self, forKey: .unet) ?? d.unet
    }

    /// Whether the model takes class labels.
    public var isConditional: Bool { classes > 0 }

    /// Checks every value a recipe can get wrong; messages name the recipe keys.
    public func validate() throws {
        guard classes >= 0 else { throw ModelConfigError("model.classes must be 0 (unconditional) or positive, got \(classes)") }
        guard timesteps >= 2 else { throw ModelConfigError("model.timesteps must be at least 2, got \(timesteps)") }
        if schedule == .linear {
            guard betaStart > 0, betaEnd < 1, betaStart <= betaEnd else {
                throw ModelConfigError("model.beta_start and model.beta_end must satisfy 0 < beta_start <= beta_end < 1, got \(betaStart) and \(betaEnd)")
            }
        }
        guard (0...1).contains(emaDecay) else { throw ModelConfigError("model.ema_decay must lie in [0, 1], got \(emaDecay)") }
        guard (0..<1).contains(labelDropout) else {
            throw ModelConfigError("model.label_dropout must lie in [0, 1), got \(labelDropout)")
        }
        try unet.validate(imageShape: imageShape)
        guard unet.baseChannels % 2 == 0 else {
            throw ModelConfigError("model.unet.base_channels must be even (it is the width of the sinusoidal time embedding), got \(unet.baseChannels)")
        }
    }

    /// The schedule's constants.
    public var noiseSchedule: NoiseSchedule {
        switch schedule {
        case .linear: NoiseSchedule.linear(timesteps: timesteps, betaStart: betaStart, betaEnd: betaEnd)
        case .cosine: NoiseSchedule.cosine(timesteps: timesteps)
        }
    }
}
