import StudioCore
import StudioIO
import StudioModels

/// What a model family contributes to the shared training loop: one optimisation step, the named
/// scalars it reports, a sample grid, and its state for checkpoints.
public protocol TrainingTask: AnyObject {
    /// Names of the scalars `step` returns, in order (`loss_d`, `loss_g`, ...).
    var metricNames: [String] { get }
    /// One optimisation step on `batch` (`[B, C, H, W]` in the model's range) with labels; returns the metrics.
    func step(batch: Tensor, labels: [Int], step: Int) -> [Double]
    /// Images for the periodic sample grid, `[N, C, H, W]` in -1...1.
    func sampleImages() -> Tensor
    /// The model's checkpoint file contents, config metadata included.
    func modelState(step: Int) throws -> SafeTensors
    /// The optimizers' state.
    func optimizerState() -> SafeTensors
    /// Restores weights and optimizer state from a checkpoint.
    func restore(model: SafeTensors, optimizer: SafeTensors) throws
}
