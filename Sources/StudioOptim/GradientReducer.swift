import StudioCore

/// Combines the gradients of data-parallel replicas of one model before an optimizer applies them.
public protocol GradientReducer: AnyObject {
    /// Replaces the gradient of each of `parameters` (those with one, in the same order on every
    /// replica) with its mean over the replicas.
    func reduce(_ parameters: [Parameter])
}
