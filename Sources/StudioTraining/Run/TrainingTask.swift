import StudioCore
import StudioOptim
import StudioIO
import StudioModels

/// What a model family contributes to the shared training loop: one optimisation step, the named
/// scalars it reports, a sample grid, and its state for checkpoints.
public protocol TrainingTask: AnyObject {
    /// Names of the scalars `step` returns, in order (`loss_d`, `loss_g`, ...).
    var metricNames: [String] { get }
    /// One optimisation step on `batch` (`[B, C, H, W]` in the model's range) with labels; returns the metrics.
    func step(batch: Tensor, labels: [Int], step: Int) -> [Double]
    /// The model's checkpoint file contents, config metadata included.
    func modelState(step: Int) throws -> SafeTensors
    /// The optimizers' state.
    func optimizerState() -> SafeTensors
    /// Restores weights and optimizer state from a checkpoint.
    func restore(model: SafeTensors, optimizer: SafeTensors) throws
    /// The value range of the task's batches and sample grids, images or clips (GANs -1...1, VAEs 0...1).
    var valueRange: ClosedRange<Float> { get }
    /// Names of the scalars `evaluate` returns (none: no evaluation).
    var evaluationMetricNames: [String] { get }
    /// Held-out metrics, computed at each epoch end and at the end of training without changing the model.
    func evaluate() -> [Double]
    /// The periodic grids, each `[N, C, H, W]` in `valueRange`; the first is `samples/step-N.png`,
    /// the others `samples/<name>-step-N.png`; none for a task that generates nothing (a classifier).
    func sampleGrids() -> [(name: String, images: Tensor)]
    /// Data batches one step consumes, handed to `step` stacked along axis 0 (a GAN's critic steps).
    var batchesPerStep: Int { get }
    /// Every optimizer of the task; the session sets their learning rate before each step.
    var optimizers: [any Optimizer] { get }
    /// The rows of each global batch this process trains on (`.whole` unless data-parallel); `step`
    /// receives only those, and draws its per-example noise for the global batch and keeps them.
    var share: BatchShare { get set }
}

extension TrainingTask {
    /// -1...1, the range of tanh generators.
    public var valueRange: ClosedRange<Float> { -1...1 }
    /// None: a task without held-out metrics.
    public var evaluationMetricNames: [String] { [] }
    /// No held-out metrics.
    public func evaluate() -> [Double] { [] }
    /// One batch per step.
    public var batchesPerStep: Int { 1 }
}
