import StudioCore

/// AdaGrad with optional learning-rate decay and L2 weight decay, updating exactly as `torch.optim.Adagrad`.
public final class AdaGrad: Optimizer {
    /// The step size before decay.
    public var learningRate: Float
    /// Step `t` uses `learningRate / (1 + (t - 1) * learningRateDecay)`.
    public var learningRateDecay: Float
    /// The L2 penalty added to the gradient: `g + weightDecay * p`.
    public var weightDecay: Float
    /// The value the squared-gradient sums start from.
    public let initialAccumulatorValue: Float
    /// Added to the denominator for numerical stability.
    public var eps: Float

    private let slots: OptimizerSlots

    /// An AdaGrad optimizer over named parameters (a module's `namedParameters`).
    public init(parameters: [(name: String, parameter: Parameter)], learningRate: Float = 1e-2,
                learningRateDecay: Float = 0, weightDecay: Float = 0, initialAccumulatorValue: Float = 0,
                eps: Float = 1e-10) {
        precondition(learningRate >= 0 && learningRateDecay >= 0 && initialAccumulatorValue >= 0 && eps >= 0,
                     "AdaGrad: learning rate \(learningRate), its decay \(learningRateDecay), initial accumulator "
                         + "\(initialAccumulatorValue) and eps \(eps) must not be negative")
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.weightDecay = weightDecay
        self.initialAccumulatorValue = initialAccumulatorValue
        self.eps = eps
        slots = OptimizerSlots(owner: "AdaGrad", parameters: parameters, slotNames: ["sum"],
                               initialValue: initialAccumulatorValue)
    }

    /// An AdaGrad optimizer over unnamed parameters, named `"0"`, `"1"`, ... by position.
    public convenience init(parameters: [Parameter], learningRate: Float = 1e-2, learningRateDecay: Float = 0,
                            weightDecay: Float = 0, initialAccumulatorValue: Float = 0, eps: Float = 1e-10) {
        self.init(parameters: indexNamed(parameters), learningRate: learningRate,
                  learningRateDecay: learningRateDecay, weightDecay: weightDecay,
                  initialAccumulatorValue: initialAccumulatorValue, eps: eps)
    }

    /// Averages the gradients over data-parallel replicas before each update.
    public var gradientReducer: (any GradientReducer)? {
        get { slots.reducer }
        set { slots.reducer = newValue }
    }

    /// The optimized parameters under their names, in the order given at creation.
    public var namedParameters: [(name: String, parameter: Parameter)] { slots.namedParameters }

    /// `s += g²`, `p -= lr_t g / (sqrt(s) + eps)`.
    public func step() {
        slots.forEachUpdate { entry, p, g, count in
            let rate = Double(learningRate) / (1 + Double(entry.stepCount - 1) * Double(learningRateDecay))
            AdaGradKernel(p: p, g: g, sum: entry.buffers[0].pointer, negativeRate: Float(-rate), eps: eps,
                          decay: weightDecay)
                .run(count: count)
        }
    }

    /// Per-parameter slots and step counters under `"<parameter>.<slot>"` and `"<parameter>.step"`.
    public func stateTensors() -> [String: Tensor] { slots.stateTensors() }

    /// Restores `stateTensors()` output; throws `StateLoadingError` and changes nothing on a mismatch.
    public func loadState(_ tensors: [String: Tensor]) throws { try slots.loadState(tensors) }
}

/// AdaGrad's update of one run of lanes.
private struct AdaGradKernel: LaneKernel {
    let p: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>, sum: UnsafeMutablePointer<Float>
    let negativeRate: Float, eps: Float, decay: Float

    func apply<V: Lanes>(_ lanes: V.Type, at i: Int) {
        let value = V(loadingFrom: p + i)
        var gradient = V(loadingFrom: g + i)
        if decay != 0 { gradient = gradient + decay * value }
        let total = V(loadingFrom: sum + i) + gradient * gradient
        total.store(to: sum + i)
        (value + negativeRate * gradient / (total.squareRoot() + eps)).store(to: p + i)
    }
}
