import Foundation

/// A learning rate as a pure function of the optimizer step, so that a resumed run needs no
/// schedule state: `rate(atStep: k)` is the rate for the update made after `k` earlier updates
/// (`k = 0` for the first), which is the rate a PyTorch scheduler gives when `scheduler.step()`
/// follows every `optimizer.step()`.
///
/// An optional linear warm-up comes first; the decay then starts from its own step 0 at step
/// `warmupSteps`, as `torch.optim.lr_scheduler.SequentialLR` chains `LinearLR` with the decay.
public struct LearningRateSchedule: Codable, Equatable, Sendable {
    /// How the rate falls after the warm-up.
    public enum Decay: Codable, Equatable, Sendable {
        /// The base rate throughout.
        case constant
        /// The base rate times `gamma` for every `size` steps taken, as `StepLR(step_size:gamma:)`.
        case step(size: Int, gamma: Float)
        /// Half a cosine from the base rate down to `minimumRate` over `steps` steps, as
        /// `CosineAnnealingLR(T_max: steps, eta_min: minimumRate)`; held at `minimumRate` afterwards,
        /// where PyTorch's would climb back up.
        case cosine(steps: Int, minimumRate: Float)
        /// A straight line from the base rate down to `finalRate` over `steps` steps, as
        /// `LinearLR(start_factor: 1, end_factor: finalRate / base, total_iters: steps)`; held at
        /// `finalRate` afterwards.
        case linear(steps: Int, finalRate: Float)
    }

    /// The rate the decay starts from and the warm-up climbs to.
    public let baseRate: Float
    /// The decay after the warm-up.
    public let decay: Decay
    /// How many steps the warm-up lasts; 0 for none.
    public let warmupSteps: Int
    /// The fraction of the base rate the warm-up starts at, as `LinearLR(start_factor:)`.
    public let warmupStartFactor: Float

    /// A schedule from `baseRate`, optionally warming up linearly from `warmupStartFactor * baseRate`
    /// over `warmupSteps` steps.
    public init(baseRate: Float, decay: Decay = .constant, warmupSteps: Int = 0, warmupStartFactor: Float = 0) {
        self.baseRate = baseRate
        self.decay = decay
        self.warmupSteps = warmupSteps
        self.warmupStartFactor = warmupStartFactor
        if let problem = problem { preconditionFailure("LearningRateSchedule: \(problem)") }
    }

    private enum CodingKeys: String, CodingKey { case baseRate, decay, warmupSteps, warmupStartFactor }

    /// Decodes a schedule (from a recipe), rejecting values `rate(atStep:)` cannot work with.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        baseRate = try container.decode(Float.self, forKey: .baseRate)
        decay = try container.decodeIfPresent(Decay.self, forKey: .decay) ?? .constant
        warmupSteps = try container.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? 0
        warmupStartFactor = try container.decodeIfPresent(Float.self, forKey: .warmupStartFactor) ?? 0
        if let problem = problem {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "learning-rate schedule: \(problem)"))
        }
    }

    /// What makes the schedule unusable, or nil.
    private var problem: String? {
        switch decay {
        case .constant: break
        case .step(let size, _): if size <= 0 { return "step size \(size) must be positive" }
        case .cosine(let steps, _): if steps <= 0 { return "cosine steps \(steps) must be positive" }
        case .linear(let steps, _): if steps <= 0 { return "linear steps \(steps) must be positive" }
        }
        if warmupSteps < 0 { return "warm-up steps \(warmupSteps) is negative" }
        if !(0...1).contains(warmupStartFactor) {
            return "warm-up start factor \(warmupStartFactor) must lie in [0, 1]"
        }
        return nil
    }

    /// The same base rate throughout.
    public static func constant(_ rate: Float) -> LearningRateSchedule {
        LearningRateSchedule(baseRate: rate)
    }

    /// The rate for the update after `step` earlier updates (`step >= 0`).
    public func rate(atStep step: Int) -> Float {
        precondition(step >= 0, "LearningRateSchedule.rate: step \(step) is negative")
        let base = Double(baseRate)
        if step < warmupSteps {
            let start = Double(warmupStartFactor)
            return Float(base * (start + (1 - start) * Double(step) / Double(warmupSteps)))
        }
        let t = step - warmupSteps
        switch decay {
        case .constant:
            return baseRate
        case .step(let size, let gamma):
            return Float(base * pow(Double(gamma), Double(t / size)))
        case .cosine(let steps, let minimumRate):
            let low = Double(minimumRate)
            guard t < steps else { return minimumRate }
            return Float(low + (base - low) * (1 + cos(Double.pi * Double(t) / Double(steps))) / 2)
        case .linear(let steps, let finalRate):
            guard t < steps else { return finalRate }
            return Float(base + (Double(finalRate) - base) * Double(t) / Double(steps))
        }
    }
}

extension Optimizer {
    /// Sets `learningRate` to what `schedule` gives for the update after `step` earlier updates.
    public func applySchedule(_ schedule: LearningRateSchedule, atStep step: Int) {
        learningRate = schedule.rate(atStep: step)
    }
}
