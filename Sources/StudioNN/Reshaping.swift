import StudioCore

/// Merges the axes from `startAxis` on: `[N, C, H, W] -> [N, C·H·W]` for the default `startAxis` 1,
/// as PyTorch's `Flatten()`.
public struct Flatten: Layer {
    /// The first merged axis.
    public let startAxis: Int

    /// Flattening from `startAxis` to the last axis.
    public init(startAxis: Int = 1) { self.startAxis = startAxis }

    /// `[d0, .., d(s-1), ds, ..] -> [d0, .., d(s-1), ds·..]`.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor {
        input.flattened(startAxis: startAxis)
    }
}

/// Splits one axis into `shape`: `[N, C·H·W] -> [N, C, H, W]` for axis 1 and shape `[C, H, W]`,
/// as PyTorch's `Unflatten`.
public struct Unflatten: Layer {
    /// The axis that is split.
    public let axis: Int
    /// The sizes it is split into; their product is the axis size.
    public let shape: Shape

    /// Splitting `axis` into `shape`.
    public init(axis: Int, shape: Shape) {
        self.axis = axis
        self.shape = shape
    }

    /// `[.., shape.product, ..] -> [.., *shape, ..]`.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor {
        let position = input.shape.normalizedAxis(axis, op: "Unflatten")
        precondition(input.shape[position] == shape.elementCount,
                     "Unflatten: axis \(axis) of \(input.shape) does not hold \(shape)")
        var dims = input.shape.dimensions
        dims.replaceSubrange(position...position, with: shape.dimensions)
        return input.reshaped(to: Shape(dims))
    }
}
