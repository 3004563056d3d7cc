import StudioCore

/// RMSprop with optional centring, momentum and L2 weight decay, updating exactly as `torch.optim.RMSprop`.
public final class RMSprop: Optimizer {
    /// The step size.
    public var learningRate: Float
    /// The decay rate of the squared-gradient average.
    public var alpha: Float
    /// Added to the denominator for numerical stability.
    public var eps: Float
    /// The L2 penalty added to the gradient: `g + weightDecay * p`.
    public var weightDecay: Float
    /// The momentum factor; fixed at creation because it decides whether momentum buffers exist.
    public let momentum: Float
    /// Whether the squared average is centred by the squared gradient average; fixed at creation.
    public let centered: Bool

    private let slots: OptimizerSlots

    /// An RMSprop optimizer over named parameters (a module's `namedParameters`).
    public init(parameters: [(name: String, parameter: Parameter)], learningRate: Float = 1e-2,
                alpha: Float = 0.99, eps: Float = 1e-8, weightDecay: Float = 0, momentum: Float = 0,
                centered: Bool = false) {
        precondition(learningRate >= 0, "RMSprop: learning rate \(learningRate) is negative")
        precondition(alpha >= 0 && eps >= 0 && momentum >= 0,
                     "RMSprop: alpha \(alpha), eps \(eps) and momentum \(momentum) must not be negative")
        self.learningRate = learningRate
        self.alpha = alpha
        self.eps = eps
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
        slots = OptimizerSlots(owner: "RMSprop", parameters: parameters,
                               slotNames: ["square_avg"] + (momentum > 0 ? ["momentum_buffer"] : [])
                                   + (centered ? ["grad_avg"] : []))
    }

    /// An RMSprop optimizer over unnamed parameters, named `"0"`, `"1"`, ... by position.
    public convenience init(parameters: [Parameter], learningRate: Float = 1e-2, alpha: Float = 0.99,
                            eps: Float = 1e-8, weightDecay: Float = 0, momentum: Float = 0, centered: Bool = false) {
        self.init(parameters: indexNamed(parameters), learningRate: learningRate, alpha: alpha, eps: eps,
                  weightDecay: weightDecay, momentum: momentum, centered: centered)
    }

    /// Averages the gradients over data-parallel replicas before each update.
    public var gradientReducer: (any GradientReducer)? {
        get { slots.reducer }
        set { slots.reducer = newValue }
    }

    /// The optimized parameters under their names, in the order given at creation.
    public var namedParameters: [(name: String, parameter: Parameter)] { slots.namedParameters }

    /// `s = alpha s + (1 - alpha) g²`; `a = sqrt(s) + eps` (centred: `sqrt(s - ḡ²) + eps` with
    /// `ḡ = alpha ḡ + (1 - alpha) g`); `p -= lr g / a`, or with momentum `b = momentum b + g / a`, `p -= lr b`.
    public func step() {
        let momentumSlot = momentum > 0 ? 1 : nil
        let averageSlot = centered ? (momentum > 0 ? 2 : 1) : nil
        let keep = Float(1 - Double(alpha))
        slots.forEachUpdate { entry, p, g, count in
            RMSpropKernel(p: p, g: g, square: entry.buffers[0].pointer,
                          buffer: momentumSlot.map { entry.buffers[$0].pointer },
                          average: averageSlot.map { entry.buffers[$0].pointer },
                          negativeRate: -learningRate, alpha: alpha, keep: keep, eps: eps, decay: weightDecay,
                          momentum: momentum)
                .run(count: count)
        }
    }

    /// Per-parameter slots and step counters under `"<parameter>.<slot>"` and `"<parameter>.step"`.
    public func stateTensors() -> [String: Tensor] { slots.stateTensors() }

    /// Restores `stateTensors()` output; throws `StateLoadingError` and changes nothing on a mismatch.
    public func loadState(_ tensors: [String: Tensor]) throws { try slots.loadState(tensors) }
}

/// RMSprop's update of one run of lanes; `buffer` is nil without momentum, `average` without centring.
private struct RMSpropKernel: LaneKernel {
    let p: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>, square: UnsafeMutablePointer<Float>
    let buffer: UnsafeMutablePointer<Float>?, average: UnsafeMutablePointer<Float>?
    let negativeRate: Float, alpha: Float, keep: Float, eps: Float, decay: Float, momentum: Float

    func apply<V: Lanes>(_ lanes: V.Type, at i: Int) {
        let value = V(loadingFrom: p + i)
        var gradient = V(loadingFrom: g + i)
        if decay != 0 { gradient = gradient + decay * value }
        let squared = V(loadingFrom: square + i) * alpha + keep * gradient * gradient
        squared.store(to: square + i)
        var denominator: V
        if let average {
            let mean = V(loadingFrom: average + i) * alpha + keep * gradient
            mean.store(to: average + i)
            denominator = (squared - mean * mean).squareRoot()
        } else {
            denominator = squared.squareRoot()
        }
        denominator = denominator + eps
        if let buffer {
            let b = V(loadingFrom: buffer + i) * momentum + gradient / denominator
            b.store(to: buffer + i)
            (value + negativeRate * b).store(to: p + i)
        } else {
            (value + negativeRate * gradient / denominator).store(to: p + i)
        }
    }
}
