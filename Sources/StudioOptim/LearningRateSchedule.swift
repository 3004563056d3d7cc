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
    }

    /// The rate the decay starts from and the warm-up climbs to.
    public var baseRate: Float
    /// The decay after the warm-up.
    public var decay: Decay
    /// How many steps the warm-up lasts; 0 for none.
    public var warmupSteps: Int
    /// The fraction of the base rate the warm-up starts at, as `LinearLR(start_factor:)`.
    public var warmupStartFactor: Float

    /// A schedule from `baseRate`, optionally warming up linearly from `warmupStartFactor * baseRate`
    /// over `warmupSteps` steps.
    public init(baseRate: Float, decay: Decay = .constant, warmupSteps: Int = 0, warmupStartFactor: Float = 0) {
        switch decay {
        case .constant: break
        case .step(let size, _): precondition(size > 0, "LearningRateSchedule: step size \(size) must be positive")
        case .cosine(let steps, _): precondition(steps > 0, "LearningRateSchedule: cosine steps \(steps) must be positive")
        }
        precondition(warmupSteps >= 0, "LearningRateSchedule: warm-up steps \(warmupSteps) is negative")
        precondition((0...1).contains(warmupStartFactor),
                     "LearningRateSchedule: warm-up start factor \(warmupStartFactor) must lie in [0, 1]")
        self.baseRate = baseRate
        self.decay = decay
        self.warmupSteps = warmupSteps
        self.warmupStartFactor = warmupStartFactor
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
        }
    }
}

extension Optimizer {
    /// Sets `learningRate` to what `schedule` gives for the update after `step` earlier updates.
    public func applySchedule(_ schedule: LearningRateSchedule, atStep step: Int) {
        learningRate = schedule.rate(atStep: step)
    }
}
