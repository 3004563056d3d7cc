/// A Float32 tensor: a shape, row-major copy-on-write scalars and, when it takes part in
/// differentiation, the autograd node that produced it.
public struct Tensor {
    /// The dimensions, outermost first.
    public let shape: Shape
    /// The values in row-major order; `scalars.count == shape.elementCount`.
    public internal(set) var scalars: [Float]
    /// The recorded operation that made this tensor, or nil for a constant.
    var node: GradNode?

    /// A tensor of `shape` holding `scalars` in row-major order.
    public init(shape: Shape, scalars: [Float]) {
        precondition(shape.elementCount == scalars.count,
                     "Tensor: \(scalars.count) scalars do not fill shape \(shape)")
        self.shape = shape
        self.scalars = scalars
        self.node = nil
    }

    init(shape: Shape, scalars: [Float], node: GradNode?) {
        self.shape = shape
        self.scalars = scalars
        self.node = node
    }

    /// A tensor of `shape` with every scalar equal to `value`.
    public init(repeating value: Float, shape: Shape) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: shape.elementCount))
    }

    /// A zero-filled tensor of `shape`.
    public init(zeros shape: Shape) { self.init(repeating: 0, shape: shape) }

    /// A one-filled tensor of `shape`.
    public init(ones shape: Shape) { self.init(repeating: 1, shape: shape) }

    /// A rank-0 tensor holding `value`.
    public init(_ value: Float) { self.init(shape: [], scalars: [value]) }

    /// A rank-1 tensor holding `values`: `[values.count]`.
    public init(_ values: [Float]) { self.init(shape: [values.count], scalars: values) }

    /// A tensor of `shape` whose scalars are written by `body` into uninitialised memory.
    init(shape: Shape, unsafeUninitialized body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let count = shape.elementCount
        self.init(shape: shape, scalars: [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            body(buffer)
            initialized = count
        })
    }

    /// The number of axes.
    public var rank: Int { shape.rank }
    /// The number of scalars.
    public var elementCount: Int { scalars.count }

    /// The single value of a one-element tensor.
    public var item: Float {
        precondition(scalars.count == 1, "item: tensor of shape \(shape) has \(scalars.count) scalars")
        return scalars[0]
    }

    /// The scalar at a full index, one entry per axis.
    public subscript(index: Int...) -> Float {
        precondition(index.count == rank, "subscript: \(index.count) indices for shape \(shape)")
        var offset = 0
        for (axis, i) in index.enumerated() {
            precondition(i >= 0 && i < shape[axis], "subscript: index \(index) out of range for \(shape)")
            offset = offset * shape[axis] + i
        }
        return scalars[offset]
    }

    /// Whether gradients flow back through this tensor.
    public var requiresGradient: Bool { node != nil }

    /// The same values, cut off from the graph: gradients stop here.
    public func detached() -> Tensor { Tensor(shape: shape, scalars: scalars) }

    /// The same values as a new leaf of the graph, so that gradients with respect to it can be asked for.
    public func requiringGradient() -> Tensor {
        Tensor(shape: shape, scalars: scalars, node: GradNode(leafShape: shape))
    }

    /// Read access to the scalars as a raw buffer.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }

    /// Write access to the scalars of a tensor outside any graph (buffers, optimizer updates).
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        precondition(node == nil || node!.isLeaf, "withUnsafeMutableBufferPointer: tensor is an intermediate of a graph")
        return try scalars.withUnsafeMutableBufferPointer(body)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor\(shape)(\(shown)\(scalars.count > 8 ? ", ..." : ""))"
    }
}

extension Tensor {
    /// Whether two tensors have the same shape and every pair of scalars differs by at most
    /// `absolute + relative * |other|`.
    public func isClose(to other: Tensor, absolute: Float = 1e-5, relative: Float = 1e-4) -> Bool {
        guard shape == other.shape else { return false }
        for (a, b) in zip(scalars, other.scalars) {
            if a.isNaN || b.isNaN { return false }
            if Swift.abs(a - b) > absolute + relative * Swift.abs(b) { return false }
        }
        return true
    }
}
