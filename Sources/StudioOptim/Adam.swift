import CKernels
import Foundation
import StudioCore

/// Adam with L2 weight decay folded into the gradient, updating exactly as `torch.optim.Adam`
/// (without amsgrad).
public final class Adam: Optimizer {
    /// The step size.
    public var learningRate: Float
    /// The decay rates of the first and second moment averages.
    public var betas: (Float, Float)
    /// Added to the denominator for numerical stability.
    public var eps: Float
    /// The L2 penalty added to the gradient: `g + weightDecay * p`.
    public var weightDecay: Float

    private let slots: OptimizerSlots

    /// An Adam optimizer over named parameters (a module's `namedParameters`).
    public init(parameters: [(name: String, parameter: Parameter)], learningRate: Float = 1e-3,
                betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8, weightDecay: Float = 0) {
        AdamUpdate.checkHyperparameters("Adam", learningRate: learningRate, betas: betas, eps: eps)
        self.learningRate = learningRate
        self.betas = betas
        self.eps = eps
        self.weightDecay = weightDecay
        slots = OptimizerSlots(owner: "Adam", parameters: parameters, slotNames: AdamUpdate.slotNames)
    }

    /// An Adam optimizer over unnamed parameters, named `"0"`, `"1"`, ... by position.
    public convenience init(parameters: [Parameter], learningRate: Float = 1e-3,
                            betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8, weightDecay: Float = 0) {
        self.init(parameters: indexNamed(parameters), learningRate: learningRate, betas: betas, eps: eps,
                  weightDecay: weightDecay)
    }

    /// Averages the gradients over data-parallel replicas before each update.
    public var gradientReducer: (any GradientReducer)? {
        get { slots.reducer }
        set { slots.reducer = newValue }
    }

    /// The optimized parameters under their names, in the order given at creation.
    public var namedParameters: [(name: String, parameter: Parameter)] { slots.namedParameters }

    /// One Adam step on the gradient plus `weightDecay * p`.
    public func step() {
        AdamUpdate.apply(slots, learningRate: learningRate, betas: betas, eps: eps,
                         l2Decay: weightDecay, decoupledDecay: 0)
    }

    /// Per-parameter slots and step counters under `"<parameter>.<slot>"` and `"<parameter>.step"`.
    public func stateTensors() -> [String: Tensor] { slots.stateTensors() }

    /// Restores `stateTensors()` output; throws `StateLoadingError` and changes nothing on a mismatch.
    public func loadState(_ tensors: [String: Tensor]) throws { try slots.loadState(tensors) }
}

/// The update Adam and AdamW share.
enum AdamUpdate {
    static let slotNames = ["exp_avg", "exp_avg_sq"]

    static func checkHyperparameters(_ owner: String, learningRate: Float, betas: (Float, Float), eps: Float) {
        precondition(learningRate >= 0, "\(owner): learning rate \(learningRate) is negative")
        precondition((0..<1).contains(betas.0) && (0..<1).contains(betas.1),
                     "\(owner): betas \(betas) must lie in [0, 1)")
        precondition(eps >= 0, "\(owner): eps \(eps) is negative")
    }

    /// `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g²`,
    /// `p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`, after `p *= 1 - lr * decoupledDecay`
    /// and with `g += l2Decay * p`. Scalar factors are formed in Double, as PyTorch forms them in Python.
    static func apply(_ slots: OptimizerSlots, learningRate: Float, betas: (Float, Float), eps: Float,
                      l2Decay: Float, decoupledDecay: Float) {
        let beta1 = betas.0, beta2 = betas.1
        let keep1 = Float(1 - Double(beta1)), keep2 = Float(1 - Double(beta2))
        let shrink = Float(1 - Double(learningRate) * Double(decoupledDecay))
        slots.forEachUpdate { entry, p, g, count in
            let t = Double(entry.stepCount)
            let correction1 = 1 - pow(Double(beta1), t)
            let correction2 = 1 - pow(Double(beta2), t)
            AdamKernel(p: p, g: g, m: entry.buffers[0].pointer, v: entry.buffers[1].pointer,
                       beta1: beta1, beta2: beta2, keep1: keep1, keep2: keep2, eps: eps,
                       negativeStepSize: Float(-Double(learningRate) / correction1),
                       correction2Root: Float(correction2.squareRoot()),
                       l2Decay: l2Decay, decoupledDecay: decoupledDecay, shrink: shrink)
                .run(count: count)
        }
    }
}

/// Adam's update of a range of parameters, in C: its square root and two divisions per scalar
/// are the cost, and the C loop runs them sixteen at a time where the processor can.
private struct AdamKernel: RangeKernel {
    let p: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>
    let m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>
    let beta1: Float, beta2: Float, keep1: Float, keep2: Float, eps: Float
    let negativeStepSize: Float, correction2Root: Float
    let l2Decay: Float, decoupledDecay: Float, shrink: Float

    func sweep(_ range: Range<Int>) {
        let i = range.lowerBound
        studio_adam(p + i, g + i, m + i, v + i, range.count, beta1, beta2, keep1, keep2, eps, negativeStepSize,
                    correction2Root, l2Decay, decoupledDecay, shrink)
    }
}
