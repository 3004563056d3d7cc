import StudioCore

/// Updates parameters from their accumulated gradients; state is kept per parameter name so that it
/// can be exported to a checkpoint and restored into a fresh optimizer over the same model.
public protocol Optimizer: AnyObject {
    /// The step size used by the next `step()`; schedules set it before each step.
    var learningRate: Float { get set }

    /// The optimized parameters under their names, in the order given at creation.
    var namedParameters: [(name: String, parameter: Parameter)] { get }

    /// Averages the gradients over data-parallel replicas at the start of each `step()`; nil alone.
    var gradientReducer: (any GradientReducer)? { get set }

    /// Applies one update to every parameter that has a gradient; parameters whose `grad` is nil
    /// are left alone and their state does not advance, as in PyTorch.
    func step()

    /// The optimizer's state as named tensors: `"<parameter>.<slot>"`, each of its parameter's shape,
    /// and `"<parameter>.step"`, a `[]` tensor counting the updates that parameter received.
    func stateTensors() -> [String: Tensor]

    /// Restores state exported by `stateTensors()`; throws `StateLoadingError` naming every missing
    /// or unexpected key and every wrong shape, and changes nothing when it throws.
    func loadState(_ tensors: [String: Tensor]) throws
}

extension Optimizer {
    /// Clears the gradient of every optimized parameter.
    public func zeroGradients() {
        for entry in namedParameters { entry.parameter.zeroGradient() }
    }
}

/// Names unnamed parameters by their index, `"0"`, `"1"`, ..., for optimizers built from a plain list.
func indexNamed(_ parameters: [Parameter]) -> [(name: String, parameter: Parameter)] {
    parameters.enumerated().map { (name: String($0.offset), parameter: $0.element) }
}
