import StudioCore

/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
/// decay, updating exactly as `torch.optim.SGD`.
public final class SGD: Optimizer {
    /// The step size.
    public var learningRate: Float
    /// The momentum factor; fixed at creation because it decides whether momentum buffers exist.
    public let momentum: Float
    /// How much of each new gradient the momentum buffer leaves out.
    public var dampening: Float
    /// The L2 penalty added to the gradient: `g + weightDecay * p`.
    public var weightDecay: Float
    /// Whether the update looks ahead along the momentum (requires momentum and no dampening).
    public var nesterov: Bool

    private let slots: OptimizerSlots

    /// An SGD optimizer over named parameters (a module's `namedParameters`).
    public init(parameters: [(name: String, parameter: Parameter)], learningRate: Float,
                momentum: Float = 0, dampening: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
        precondition(learningRate >= 0, "SGD: learning rate \(learningRate) is negative")
        precondition(momentum >= 0, "SGD: momentum \(momentum) is negative")
        precondition(!nesterov || (momentum > 0 && dampening == 0),
                     "SGD: Nesterov momentum needs momentum > 0 and zero dampening")
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        slots = OptimizerSlots(owner: "SGD", parameters: parameters,
                               slotNames: momentum != 0 ? ["momentum_buffer"] : [])
    }

    /// An SGD optimizer over unnamed parameters, named `"0"`, `"1"`, ... by position.
    public convenience init(parameters: [Parameter], learningRate: Float, momentum: Float = 0,
                            dampening: Float = 0, weightDecay: Float = 0, nesterov: Bool = false) {
        self.init(parameters: indexNamed(parameters), learningRate: learningRate, momentum: momentum,
                  dampening: dampening, weightDecay: weightDecay, nesterov: nesterov)
    }

    /// Averages the gradients over data-parallel replicas before each update.
    public var gradientReducer: (any GradientReducer)? {
        get { slots.reducer }
        set { slots.reducer = newValue }
    }

    /// The optimized parameters under their names, in the order given at creation.
    public var namedParameters: [(name: String, parameter: Parameter)] { slots.namedParameters }

    /// `p -= lr * d`, where `d` is the decayed gradient or, with momentum, `b = momentum * b + (1 - dampening) * d`
    /// (the first step sets `b = d`), and Nesterov uses `d + momentum * b`.
    public func step() {
        let rate = -learningRate, decay = weightDecay, momentum = momentum
        let kept = Float(1 - Double(dampening)), nesterov = nesterov
        slots.forEachUpdate { entry, p, g, count in
            SGDKernel(p: p, g: g, buffer: momentum != 0 ? entry.buffers[0].pointer : nil, negativeRate: rate,
                      decay: decay, momentum: momentum, kept: kept, first: entry.stepCount == 1, nesterov: nesterov)
                .run(count: count)
        }
    }

    /// Per-parameter slots and step counters under `"<parameter>.<slot>"` and `"<parameter>.step"`.
    public func stateTensors() -> [String: Tensor] { slots.stateTensors() }

    /// Restores `stateTensors()` output; throws `StateLoadingError` and changes nothing on a mismatch.
    public func loadState(_ tensors: [String: Tensor]) throws { try slots.loadState(tensors) }
}

/// SGD's update of one run of lanes; `buffer` is nil without momentum.
private struct SGDKernel: LaneKernel {
    let p: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>, buffer: UnsafeMutablePointer<Float>?
    let negativeRate: Float, decay: Float, momentum: Float, kept: Float
    let first: Bool, nesterov: Bool

    func apply<V: Lanes>(_ lanes: V.Type, at i: Int) {
        let value = V(loadingFrom: p + i)
        var d = V(loadingFrom: g + i)
        if decay != 0 { d = d + decay * value }
        if let buffer {
            let b = first ? d : V(loadingFrom: buffer + i) * momentum + kept * d
            b.store(to: buffer + i)
            d = nesterov ? d + momentum * b : b
        }
        (value + negativeRate * d).store(to: p + i)
    }
}
