import Foundation

/// The constants of a diffusion process over T steps, in Double: β_t, α_t = 1 − β_t and
/// ᾱ_t = ∏ α_s, indexed by t = 0..<T (the paper's t = 1...T).
public struct NoiseSchedule: Equatable, Sendable {
    /// β_t, the variance of the noise added at step t.
    public let betas: [Double]
    /// ᾱ_t, the fraction of the clean signal's variance left after step t.
    public let alphasCumulative: [Double]

    /// A schedule with the given β_t (each in (0, 1)).
    public init(betas: [Double]) {
        precondition(!betas.isEmpty && betas.allSatisfy { $0 > 0 && $0 < 1 }, "NoiseSchedule: every beta must lie in (0, 1)")
        self.betas = betas
        var product = 1.0
        alphasCumulative = betas.map { beta in
            product *= 1 - beta
            return product
        }
    }

    /// β in `timesteps` equal steps from `betaStart` to `betaEnd` (DDPM).
    public static func linear(timesteps: Int, betaStart: Double = 1e-4, betaEnd: Double = 0.02) -> NoiseSchedule {
        precondition(timesteps >= 2, "NoiseSchedule.linear: needs at least 2 steps, got \(timesteps)")
        let step = (betaEnd - betaStart) / Double(timesteps - 1)
        return NoiseSchedule(betas: (0..<timesteps).map { betaStart + Double($0) * step })
    }

    /// ᾱ(t) = f(t)/f(0) with f(t) = cos²((t/T + s)/(1 + s) · π/2), s = 0.008, and β_t = min(1 − ᾱ(t+1)/ᾱ(t), 0.999)
    /// (improved DDPM).
    public static func cosine(timesteps: Int, offset s: Double = 0.008) -> NoiseSchedule {
        precondition(timesteps >= 2, "NoiseSchedule.cosine: needs at least 2 steps, got \(timesteps)")
        func f(_ t: Int) -> Double {
            let angle = (Double(t) / Double(timesteps) + s) / (1 + s) * Double.pi / 2
            return cos(angle) * cos(angle)
        }
        return NoiseSchedule(betas: (0..<timesteps).map { t in min(1 - f(t + 1) / f(t), 0.999) })
    }

    /// T, the number of steps.
    public var count: Int { betas.count }

    /// ᾱ at timestep `t`, with ᾱ = 1 before the first step (t = −1).
    public func alphaCumulative(_ t: Int) -> Double { t < 0 ? 1 : alphasCumulative[t] }

    /// `steps` distinct timesteps of 0..<T, ascending, placed by `spacing`; all of them when `steps` is T.
    public func timesteps(count steps: Int, spacing: TimestepSpacing = .uniform) -> [Int] {
        precondition(steps >= 1 && steps <= count, "NoiseSchedule.timesteps: \(steps) steps outside 1...\(count)")
        switch spacing {
        case .uniform:
            return (0..<steps).map { $0 * count / steps }
        case .trailing:
            return (0..<steps).map { ($0 + 1) * count / steps - 1 }
        case .quadratic:
            // ⌈((i+1)/steps)² T⌉ − 1 can repeat near t = 0; nudging each up past the one before never
            // passes T − steps + i, so the last stays T − 1.
            var result: [Int] = []
            for i in 0..<steps {
                let square = (i + 1) * (i + 1) * count
                let quadratic = (square + steps * steps - 1) / (steps * steps) - 1
                result.append(Swift.max(quadratic, (result.last ?? -1) + 1))
            }
            return result
        }
    }
}

/// Where a sampler of fewer steps than T puts its timesteps.
public enum TimestepSpacing: String, CaseIterable, Sendable {
    /// The first timestep of each of `steps` equal chunks of 0..<T, `⌊i·T/steps⌋` (DDIM's "uniform"):
    /// sampling starts below T − 1, at T − T/steps.
    case uniform
    /// The last timestep of each chunk, `⌊(i+1)·T/steps⌋ − 1`: sampling starts from pure noise at T − 1
    /// (Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps are Flawed").
    case trailing
    /// `⌈((i+1)/steps)²·T⌉ − 1`, dense at low noise and ending at T − 1 (after DDIM's "quad" skip).
    case quadratic
}
