import StudioCore

/// One entry of a module's state: a parameter, a buffer, or a sub-module.
public enum ModuleChild {
    case parameter(Parameter)
    case buffer(Buffer)
    case module(any Module)
}

/// Anything that owns parameters and buffers under dotted, PyTorch-compatible names.
public protocol Module {
    /// Direct children in PyTorch registration order: own parameters first, then buffers, then
    /// sub-modules; names are the PyTorch attribute names (`weight`, `running_mean`, `0`, `1`, ...).
    var children: [(name: String, child: ModuleChild)] { get }
}

extension Module {
    public var children: [(name: String, child: ModuleChild)] { [] }
}

/// How a forward pass runs: training or evaluation, and the random stream that dropout draws from.
public final class ForwardContext {
    /// Training mode: batch statistics in normalisation, dropout active.
    public let isTraining: Bool
    /// The stream for dropout masks and other noise inside layers.
    public var generator: RandomGenerator
    /// In training mode, the momentum batch norm moves its running statistics by instead of its own;
    /// 1/(k + 1) on the k-th of several passes leaves the plain average of their batch statistics.
    public var batchNormMomentum: Float?
    /// The data-parallel replicas batch norm synchronises its statistics over in training mode
    /// (nil: this process's batch alone, as PyTorch's DistributedDataParallel without SyncBatchNorm).
    public var batchNormReplicas: (any StatisticsReplicas)?

    /// A context for one forward pass; trainers derive `generator` from (run seed, stream, step).
    public init(training: Bool, generator: RandomGenerator = RandomGenerator(seed: 0)) {
        self.isTraining = training
        self.generator = generator
    }

    /// Evaluation mode with no randomness, for sampling and inference.
    public static var inference: ForwardContext { ForwardContext(training: false) }
}

/// A module with one input and one output.
public protocol Layer: Module {
    /// Applies the layer; each conforming type documents its shapes.
    func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor
}

extension Layer {
    /// Applies the layer in evaluation mode.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        callAsFunction(input, context: .inference)
    }
}
