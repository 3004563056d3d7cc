import StudioCore

/// Adam with decoupled weight decay (the parameter shrinks by `lr * weightDecay` before the Adam
/// step), updating exactly as `torch.optim.AdamW` (without amsgrad).
public final class AdamW: Optimizer {
    /// The step size.
    public var learningRate: Float
    /// The decay rates of the first and second moment averages.
    public var betas: (Float, Float)
    /// Added to the denominator for numerical stability.
    public var eps: Float
    /// The decoupled decay: each step multiplies the parameter by `1 - learningRate * weightDecay`.
    public var weightDecay: Float

    private let slots: OptimizerSlots

    /// An AdamW optimizer over named parameters (a module's `namedParameters`).
    public init(parameters: [(name: String, parameter: Parameter)], learningRate: Float = 1e-3,
                betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8, weightDecay: Float = 0.01) {
        AdamUpdate.checkHyperparameters("AdamW", learningRate: learningRate, betas: betas, eps: eps)
        self.learningRate = learningRate
        self.betas = betas
        self.eps = eps
        self.weightDecay = weightDecay
        slots = OptimizerSlots(owner: "AdamW", parameters: parameters, slotNames: AdamUpdate.slotNames)
    }

    /// An AdamW optimizer over unnamed parameters, named `"0"`, `"1"`, ... by position.
    public convenience init(parameters: [Parameter], learningRate: Float = 1e-3,
                            betas: (Float, Float) = (0.9, 0.999), eps: Float = 1e-8, weightDecay: Float = 0.01) {
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

    /// One Adam step after shrinking the parameter by `1 - learningRate * weightDecay`.
    public func step() {
        AdamUpdate.apply(slots, learningRate: learningRate, betas: betas, eps: eps,
                         l2Decay: 0, decoupledDecay: weightDecay)
    }

    /// Per-parameter slots and step counters under `"<parameter>.<slot>"` and `"<parameter>.step"`.
    public func stateTensors() -> [String: Tensor] { slots.stateTensors() }

    /// Restores `stateTensors()` output; throws `StateLoadingError` and changes nothing on a mismatch.
    public func loadState(_ tensors: [String: Tensor]) throws { try slots.loadState(tensors) }
}
