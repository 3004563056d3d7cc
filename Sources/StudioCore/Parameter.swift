/// A trainable tensor with identity, so that optimizers can key their state by it.
/// Its value is a leaf of every graph it enters; `grad` holds what `backward()` accumulated.
public final class Parameter {
    /// The current value, always a leaf that requires gradients.
    public private(set) var value: Tensor

    /// A parameter starting at `initialValue`.
    public init(_ initialValue: Tensor) {
        value = initialValue.requiringGradient()
    }

    /// The shape of the value.
    public var shape: Shape { value.shape }

    /// The gradient accumulated since the last `zeroGradient()`, or nil.
    public var grad: Tensor? {
        get { value.grad }
        set { value.grad = newValue }
    }

    /// Forgets the accumulated gradient.
    public func zeroGradient() { value.grad = nil }

    /// Replaces the value with `newValue` of the same shape, keeping the parameter's identity and gradient.
    public func assign(_ newValue: Tensor) {
        precondition(newValue.shape == value.shape, "Parameter.assign: shape \(newValue.shape) does not match \(value.shape)")
        value.withUnsafeMutableBufferPointer { dst in
            newValue.withUnsafeBufferPointer { src in
                _ = dst.update(fromContentsOf: src)
            }
        }
    }

    /// Updates the value in place: `body` gets the value's scalars and the gradient's (nil when none).
    public func update(_ body: (UnsafeMutableBufferPointer<Float>, UnsafeBufferPointer<Float>?) -> Void) {
        let gradient = grad
        value.withUnsafeMutableBufferPointer { values in
            if let gradient {
                gradient.withUnsafeBufferPointer { body(values, $0) }
            } else {
                body(values, nil)
            }
        }
    }
}

/// Non-trainable state that a checkpoint keeps (running statistics, counters).
public final class Buffer {
    /// How the buffer is stored in checkpoints; PyTorch keeps counters as 64-bit integers.
    public enum StorageType: String, Sendable { case float32, int64 }

    /// The current value; never part of a graph.
    public var value: Tensor {
        didSet {
            precondition(value.shape == oldValue.shape, "Buffer: shape \(value.shape) does not match \(oldValue.shape)")
            value = value.detached()
        }
    }
    /// The type used when the buffer is written to a checkpoint.
    public let storageType: StorageType

    /// A buffer starting at `initialValue`.
    public init(_ initialValue: Tensor, storageType: StorageType = .float32) {
        value = initialValue.detached()
        self.storageType = storageType
    }
}
