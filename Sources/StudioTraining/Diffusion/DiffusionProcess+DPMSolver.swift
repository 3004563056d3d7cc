import Foundation
import StudioCore
import StudioModels

// MARK: - DPM-Solver++(2M)

/// DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++: Fast Solver for Guided Sampling of Diffusion
/// Probabilistic Models", Algorithm 2): a multistep second-order solver of the diffusion ODE in its
/// data-prediction form, in the half log-SNR λ_t = log(α_t/σ_t) with α_t = √ᾱ_t and σ_t = √(1−ᾱ_t).
/// Solving for x₀ rather than ε keeps large guidance scales stable, and reusing the previous step's
/// x₀ gives second order at one network call per step.
extension DiffusionProcess {
    /// λ_t = log(α_t/σ_t) = ½ log(ᾱ_t/(1−ᾱ_t)); +∞ for the clean image (t = −1).
    public func halfLogSNR(_ t: Int) -> Double {
        let abar = schedule.alphaCumulative(t)
        return abar >= 1 ? .infinity : 0.5 * log(abar / (1 - abar))
    }

    /// One DPM-Solver++(2M) step from timestep `t` to `previous` (an earlier timestep, or −1 for the
    /// clean image): x_prev = (σ_prev/σ_t) x + α_prev (1 − e^{−h}) D with h = λ_prev − λ_t, where D is
    /// `clean` (x₀ predicted at t) for a first-order step, and with `earlier` (x₀ predicted at the
    /// step before, from a higher timestep) D = (1 + 1/2r) x₀ − (1/2r) x₀_earlier, r = (λ_t − λ_earlier)/h.
    /// The step to the clean image is the update's first-order limit, x₀ itself: at σ = 0 the
    /// second-order correction would divide by an infinite h. All `[N, C, H, W]`.
    public func dpmSolverStep(x: Tensor, clean: Tensor, t: Int, previous: Int,
                              earlier: (clean: Tensor, t: Int)? = nil) -> Tensor {
        precondition(x.shape == clean.shape, "DiffusionProcess.dpmSolverStep: x \(x.shape) and x₀ \(clean.shape) differ")
        precondition(previous < t, "DiffusionProcess.dpmSolverStep: steps go down, \(t) -> \(previous)")
        guard previous >= 0 else { return clean }
        let abar = schedule.alphaCumulative(t), abarPrevious = schedule.alphaCumulative(previous)
        let h = halfLogSNR(previous) - halfLogSNR(t)
        let xFactor = ((1 - abarPrevious) / (1 - abar)).squareRoot()
        let cleanWeight = abarPrevious.squareRoot() * -expm1(-h)
        guard let earlier else { return Self.combination(x, Float(xFactor), clean, Float(cleanWeight)) }
        precondition(earlier.clean.shape == x.shape && earlier.t > t,
                     "DiffusionProcess.dpmSolverStep: the earlier x₀ \(earlier.clean.shape) at \(earlier.t) does not precede \(t)")
        let r = (halfLogSNR(t) - halfLogSNR(earlier.t)) / h
        let half = 1 / (2 * r)
        return Self.combination(x, Float(xFactor), clean, Float(cleanWeight * (1 + half)),
                                earlier.clean, Float(-cleanWeight * half))
    }

    /// a·`x` + b·`y` (+ c·`z`) in one pass and one new buffer, outside any graph: the solver's update
    /// would otherwise allocate a tensor per term.
    static func combination(_ x: Tensor, _ a: Float, _ y: Tensor, _ b: Float, _ z: Tensor? = nil, _ c: Float = 0) -> Tensor {
        var result = x.detached()
        result.withUnsafeMutableBufferPointer { out in
            y.withUnsafeBufferPointer { y in
                if let z {
                    z.withUnsafeBufferPointer { z in
                        for i in out.indices { out[i] = a * out[i] + b * y[i] + c * z[i] }
                    }
                } else {
                    for i in out.indices { out[i] = a * out[i] + b * y[i] }
                }
            }
        }
        return result
    }
}

/// The state DPM-Solver++(2M) carries between steps: the x₀ it predicted at the step before.
struct DPMSolverHistory {
    private var earlier: (clean: Tensor, t: Int)?

    /// One step of `process` from `t` to `previous` for `x` and the x₀ predicted at t: first order at
    /// the first step (no history yet), second order after, remembering `clean` for the next.
    mutating func step(_ process: DiffusionProcess, x: Tensor, clean: Tensor, t: Int, previous: Int) -> Tensor {
        let next = process.dpmSolverStep(x: x, clean: clean, t: t, previous: previous, earlier: earlier)
        earlier = (clean, t)
        return next
    }
}
