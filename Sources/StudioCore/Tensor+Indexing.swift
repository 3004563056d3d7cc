// MARK: - Comparisons and selection

extension Tensor {
    /// 1 where `self > other` (broadcast), else 0; a constant.
    public func greater(than other: Tensor) -> Tensor {
        Tensor.broadcastScalars(self, other, op: "greater") { $0 > $1 ? 1 : 0 }
    }
    /// 1 where `self >= other`, else 0; a constant.
    public func greaterOrEqual(to other: Tensor) -> Tensor {
        Tensor.broadcastScalars(self, other, op: "greaterOrEqual") { $0 >= $1 ? 1 : 0 }
    }
    /// 1 where `self < other`, else 0; a constant.
    public func less(than other: Tensor) -> Tensor {
        Tensor.broadcastScalars(self, other, op: "less") { $0 < $1 ? 1 : 0 }
    }
    /// 1 where `self <= other`, else 0; a constant.
    public func lessOrEqual(to other: Tensor) -> Tensor {
        Tensor.broadcastScalars(self, other, op: "lessOrEqual") { $0 <= $1 ? 1 : 0 }
    }
    /// 1 where `self == other`, else 0; a constant.
    public func equal(to other: Tensor) -> Tensor {
        Tensor.broadcastScalars(self, other, op: "equal") { $0 == $1 ? 1 : 0 }
    }
    /// 1 where `self > value`, else 0.
    public func greater(than value: Float) -> Tensor { mapScalars { $0 > value ? 1 : 0 } }
    /// 1 where `self < value`, else 0.
    public func less(than value: Float) -> Tensor { mapScalars { $0 < value ? 1 : 0 } }

    /// `a` where `condition` is non-zero, else `b`, all three broadcast together.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        guard let ab = Shape.broadcast(a.shape, b.shape), let shape = Shape.broadcast(ab, condition.shape) else {
            preconditionFailure("where: shapes \(condition.shape), \(a.shape), \(b.shape) cannot be broadcast together")
        }
        let mask = condition.detached().mapScalars { $0 != 0 ? 1 : 0 }.expanded(to: shape)
        let chosenA = mask.zipScalars(a.detached().expanded(to: shape)) { $0 != 0 ? $1 : 0 }
        let value = chosenA.zipScalars(mask.zipScalars(b.detached().expanded(to: shape)) { $0 != 0 ? 0 : $1 }, +)
        return record("where", value,
                      (a, { ($0 * mask).sumToShape(a.shape) }),
                      (b, { ($0 * (1 - mask)).sumToShape(b.shape) }))
    }
}

// MARK: - One-hot, index selection, gather

extension Tensor {
    /// Rows of the identity: `[N] labels -> [N, classes]`; every label must lie in `0..<classes`.
    public static func oneHot(_ labels: [Int], classes: Int) -> Tensor {
        var result = Tensor(zeros: [labels.count, classes])
        result.scalars.withUnsafeMutableBufferPointer { p in
            for (row, label) in labels.enumerated() {
                precondition(label >= 0 && label < classes, "oneHot: label \(label) outside 0..<\(classes)")
                p[row * classes + label] = 1
            }
        }
        return result
    }

    /// The entries `indices` along `axis`: `[.., d, ..] -> [.., indices.count, ..]` (embedding lookup).
    public func indexSelect(_ indices: [Int], alongAxis axis: Int) -> Tensor {
        let axis = shape.normalizedAxis(axis, op: "indexSelect")
        let (outer, size, inner) = reductionView(axis: axis)
        for i in indices { precondition(i >= 0 && i < size, "indexSelect: index \(i) outside 0..<\(size) on axis \(axis) of \(shape)") }
        var outShape = shape
        outShape[axis] = indices.count
        let value = withUnsafeBufferPointer { src in
            Tensor(shape: outShape, unsafeUninitialized: { dst in
                for o in 0..<outer {
                    for (k, i) in indices.enumerated() {
                        let s = (o * size + i) * inner, d = (o * indices.count + k) * inner
                        for j in 0..<inner { dst[d + j] = src[s + j] }
                    }
                }
            })
        }
        let source = shape
        return Tensor.record("indexSelect", value, (self, { $0.indexAdd(indices, alongAxis: axis, into: source) }))
    }

    /// The adjoint of `indexSelect`: entries of `self` added at `indices` along `axis` of a zero tensor of `target`.
    public func indexAdd(_ indices: [Int], alongAxis axis: Int, into target: Shape) -> Tensor {
        let axis = shape.normalizedAxis(axis, op: "indexAdd")
        precondition(shape[axis] == indices.count, "indexAdd: \(indices.count) indices for axis \(axis) of \(shape)")
        let outer = shape.dimensions[..<axis].reduce(1, *)
        let inner = shape.dimensions[(axis + 1)...].reduce(1, *)
        let size = target[axis]
        var value = Tensor(zeros: target)
        withUnsafeBufferPointer { src in
            value.scalars.withUnsafeMutableBufferPointer { dst in
                for o in 0..<outer {
                    for (k, i) in indices.enumerated() {
                        let d = (o * size + i) * inner, s = (o * indices.count + k) * inner
                        for j in 0..<inner { dst[d + j] += src[s + j] }
                    }
                }
            }
        }
        return Tensor.record("indexAdd", value, (self, { $0.indexSelect(indices, alongAxis: axis) }))
    }

    /// PyTorch's `gather`: `out[.., j, ..] = self[.., index[.., j, ..], ..]` along `axis`, where
    /// `index` has `self`'s shape except `indexCount` entries on `axis`: `-> [.., indexCount, ..]`.
    public func gather(alongAxis axis: Int, indices: [Int], indexCount: Int) -> Tensor {
        let axis = shape.normalizedAxis(axis, op: "gather")
        let (outer, size, inner) = reductionView(axis: axis)
        precondition(indices.count == outer * indexCount * inner,
                     "gather: \(indices.count) indices do not fit \(indexCount) per slice of \(shape) on axis \(axis)")
        for i in indices { precondition(i >= 0 && i < size, "gather: index \(i) outside 0..<\(size) on axis \(axis) of \(shape)") }
        var outShape = shape
        outShape[axis] = indexCount
        let value = withUnsafeBufferPointer { src in
            Tensor(shape: outShape, unsafeUninitialized: { dst in
                for o in 0..<outer {
                    for k in 0..<indexCount {
                        for j in 0..<inner {
                            let d = (o * indexCount + k) * inner + j
                            dst[d] = src[(o * size + indices[d]) * inner + j]
                        }
                    }
                }
            })
        }
        let source = shape
        return Tensor.record("gather", value, (self, { $0.scatterAdd(alongAxis: axis, indices: indices, into: source) }))
    }

    /// The adjoint of `gather`: `self` (shaped like the gather's output) added at `indices` into zeros of `target`.
    public func scatterAdd(alongAxis axis: Int, indices: [Int], into target: Shape) -> Tensor {
        let axis = shape.normalizedAxis(axis, op: "scatterAdd")
        let indexCount = shape[axis]
        let outer = shape.dimensions[..<axis].reduce(1, *)
        let inner = shape.dimensions[(axis + 1)...].reduce(1, *)
        let size = target[axis]
        precondition(indices.count == elementCount, "scatterAdd: \(indices.count) indices for \(shape)")
        var value = Tensor(zeros: target)
        withUnsafeBufferPointer { src in
            value.scalars.withUnsafeMutableBufferPointer { dst in
                for o in 0..<outer {
                    for k in 0..<indexCount {
                        for j in 0..<inner {
                            let s = (o * indexCount + k) * inner + j
                            dst[(o * size + indices[s]) * inner + j] += src[s]
                        }
                    }
                }
            }
        }
        return Tensor.record("scatterAdd", value, (self, {
            $0.gather(alongAxis: axis, indices: indices, indexCount: indexCount)
        }))
    }
}
