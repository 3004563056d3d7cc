// MARK: - Views that only change the shape

extension Tensor {
    /// The same scalars under a new shape with the same element count; one axis may be -1 (inferred).
    public func reshaped(to newShape: [Int]) -> Tensor {
        var dims = newShape
        if let hole = dims.firstIndex(of: -1) {
            let known = dims.enumerated().filter { $0.offset != hole }.map(\.element).reduce(1, *)
            precondition(known > 0 && elementCount % known == 0,
                         "reshaped: cannot infer -1 in \(newShape) for \(elementCount) scalars of \(shape)")
            dims[hole] = elementCount / known
        }
        return reshaped(to: Shape(dims))
    }

    /// The same scalars under `newShape`: `[..s] -> newShape` with equal element counts.
    public func reshaped(to newShape: Shape) -> Tensor {
        if newShape == shape { return self }
        precondition(newShape.elementCount == elementCount,
                     "reshaped: cannot view \(shape) (\(elementCount) scalars) as \(newShape)")
        let source = shape
        return Tensor.record("reshape", Tensor(shape: newShape, scalars: scalars),
                             (self, { $0.reshaped(to: source) }))
    }

    /// Axes from `startAxis` on merged into one: `[N, C, H, W] -> [N, C*H*W]` for `startAxis` 1.
    public func flattened(startAxis: Int = 1) -> Tensor {
        let start = shape.normalizedAxis(startAxis, op: "flattened")
        return reshaped(to: Shape(Array(shape.dimensions[..<start]) + [shape.dimensions[start...].reduce(1, *)]))
    }

    /// A new axis of size 1 inserted at `axis`.
    public func expandingDimension(at axis: Int) -> Tensor {
        let position = axis < 0 ? axis + rank + 1 : axis
        precondition(position >= 0 && position <= rank, "expandingDimension: axis \(axis) out of range for \(shape)")
        var dims = shape.dimensions
        dims.insert(1, at: position)
        return reshaped(to: Shape(dims))
    }

    /// The axis `axis` removed; it must have size 1.
    public func squeezingDimension(at axis: Int) -> Tensor {
        let position = shape.normalizedAxis(axis, op: "squeezingDimension")
        precondition(shape[position] == 1, "squeezingDimension: axis \(axis) of \(shape) is not 1")
        var dims = shape.dimensions
        dims.remove(at: position)
        return reshaped(to: Shape(dims))
    }
}

// MARK: - Axis permutations

extension Tensor {
    /// Axes reordered so that output axis i is input axis `axes[i]`.
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.sorted() == Array(0..<rank), "permuted: \(axes) is not a permutation of the axes of \(shape)")
        if axes == Array(0..<rank) { return self }
        let outShape = Shape(axes.map { shape[$0] })
        let sourceStrides = shape.strides
        let strides = axes.map { sourceStrides[$0] }
        let inner = outShape.last ?? 1
        let innerStride = strides.last ?? 1
        let rows = outShape.elementCount / Swift.max(inner, 1)
        let value = withUnsafeBufferPointer { src in
            Tensor(shape: outShape, unsafeUninitialized: { dst in
                parallelChunks(rows, grain: Swift.max(1, 32_768 / Swift.max(inner, 1))) { range in
                    for row in range {
                        var rest = row, offset = 0
                        var axis = outShape.rank - 2
                        while axis >= 0 {
                            offset += (rest % outShape[axis]) * strides[axis]
                            rest /= outShape[axis]
                            axis -= 1
                        }
                        let base = row * inner
                        for j in 0..<inner { dst[base + j] = src[offset + j * innerStride] }
                    }
                }
            })
        }
        var inverse = [Int](repeating: 0, count: rank)
        for (i, a) in axes.enumerated() { inverse[a] = i }
        return Tensor.record("permute", value, (self, { $0.permuted(inverse) }))
    }

    /// Two axes swapped.
    public func transposed(_ first: Int, _ second: Int) -> Tensor {
        var axes = Array(0..<rank)
        axes.swapAt(shape.normalizedAxis(first, op: "transposed"), shape.normalizedAxis(second, op: "transposed"))
        return permuted(axes)
    }

    /// The last two axes swapped: `[.., m, n] -> [.., n, m]`.
    public func transposed() -> Tensor {
        precondition(rank >= 2, "transposed: needs rank 2 or more, got \(shape)")
        return transposed(rank - 2, rank - 1)
    }
}

// MARK: - Slices, padding, concatenation

extension Tensor {
    /// Copies the box `[start, start + boxShape)` of `source` to the box at `target` of a tensor
    /// of `outShape` filled with `fill`.
    static func copyBox(from source: Tensor, start: [Int], boxShape: Shape,
                        into outShape: Shape, at target: [Int], fill: Float) -> Tensor {
        let rank = outShape.rank
        let srcStrides = source.shape.strides, dstStrides = outShape.strides
        // The box is copied in runs that are contiguous in both tensors: its last axis, widened by every
        // axis before it as long as the axes after that one are whole in the source, the box and the result.
        var runAxis = Swift.max(rank - 1, 0)
        while runAxis > 0 && boxShape[runAxis] == source.shape[runAxis] && boxShape[runAxis] == outShape[runAxis] {
            runAxis -= 1
        }
        let run = rank == 0 ? 1 : boxShape.dimensions[runAxis...].reduce(1, *)
        let rows = boxShape.elementCount / Swift.max(run, 1)
        return source.withUnsafeBufferPointer { src in
            Tensor(shape: outShape, unsafeUninitialized: { dst in
                if boxShape.elementCount != outShape.elementCount { dst.update(repeating: fill) }
                guard boxShape.elementCount > 0 else { return }
                let from = src.baseAddress!, to = dst.baseAddress!
                parallelChunks(rows, grain: Swift.max(1, 32_768 / Swift.max(run, 1))) { range in
                    for row in range {
                        var rest = row, s = 0, d = 0
                        if rank > 0 {
                            s += start[runAxis] * srcStrides[runAxis]
                            d += target[runAxis] * dstStrides[runAxis]
                        }
                        var axis = runAxis - 1
                        while axis >= 0 {
                            let i = rest % boxShape[axis]
                            rest /= boxShape[axis]
                            s += (i + start[axis]) * srcStrides[axis]
                            d += (i + target[axis]) * dstStrides[axis]
                            axis -= 1
                        }
                        (to + d).update(from: from + s, count: run)
                    }
                }
            })
        }
    }

    /// The sub-tensor `range` along `axis`: `[.., d, ..] -> [.., range.count, ..]`.
    public func sliced(alongAxis axis: Int, _ range: Range<Int>) -> Tensor {
        let axis = shape.normalizedAxis(axis, op: "sliced")
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis],
                     "sliced: range \(range) out of bounds for axis \(axis) of \(shape)")
        var starts = [Int](repeating: 0, count: rank)
        starts[axis] = range.lowerBound
        var box = shape
        box[axis] = range.count
        return sliced(starts: starts, sizes: box)
    }

    /// The box of `sizes` starting at `starts`, one entry per axis.
    public func sliced(starts: [Int], sizes: Shape) -> Tensor {
        precondition(starts.count == rank && sizes.rank == rank, "sliced: box \(starts) \(sizes) does not match \(shape)")
        for a in 0..<rank {
            precondition(starts[a] >= 0 && starts[a] + sizes[a] <= shape[a],
                         "sliced: box \(starts) + \(sizes) out of bounds for \(shape)")
        }
        if sizes == shape { return self }
        let value = Tensor.copyBox(from: self, start: starts, boxShape: sizes, into: sizes,
                                   at: [Int](repeating: 0, count: rank), fill: 0)
        let source = shape
        let widths = (0..<rank).map { (starts[$0], source[$0] - starts[$0] - sizes[$0]) }
        return Tensor.record("slice", value, (self, { $0.padded(widths) }))
    }

    /// Padded with `value`: `widths[a] = (before, after)` for each axis a.
    public func padded(_ widths: [(before: Int, after: Int)], value: Float = 0) -> Tensor {
        precondition(widths.count == rank, "padded: \(widths.count) widths for shape \(shape)")
        precondition(widths.allSatisfy { $0.before >= 0 && $0.after >= 0 }, "padded: negative width in \(widths)")
        if widths.allSatisfy({ $0.before == 0 && $0.after == 0 }) { return self }
        let outShape = Shape((0..<rank).map { shape[$0] + widths[$0].before + widths[$0].after })
        let starts = widths.map(\.before)
        let result = Tensor.copyBox(from: self, start: [Int](repeating: 0, count: rank), boxShape: shape,
                                    into: outShape, at: starts, fill: value)
        let box = shape
        return Tensor.record("pad", result, (self, { $0.sliced(starts: starts, sizes: box) }))
    }

    /// `tensors` joined along `axis`; all other axes must agree.
    public static func concatenate(_ tensors: [Tensor], alongAxis axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate: no tensors")
        let first = tensors[0]
        let axis = first.shape.normalizedAxis(axis, op: "concatenate")
        var outShape = first.shape
        outShape[axis] = 0
        for t in tensors {
            var probe = t.shape
            precondition(probe.rank == first.rank, "concatenate: shapes \(first.shape) and \(t.shape) differ in rank")
            probe[axis] = first.shape[axis]
            precondition(probe == first.shape, "concatenate: shapes \(first.shape) and \(t.shape) differ off axis \(axis)")
            outShape[axis] += t.shape[axis]
        }
        let outer = first.shape.dimensions[..<axis].reduce(1, *)
        let inner = first.shape.dimensions[(axis + 1)...].reduce(1, *)
        let total = outShape[axis] * inner
        var pieces: [(Tensor, (Tensor) -> Tensor)] = []
        let value = Tensor(shape: outShape, unsafeUninitialized: { dst in
            let dst = dst.baseAddress!
            var offset = 0
            for t in tensors {
                let width = t.shape[axis] * inner
                t.withUnsafeBufferPointer { src in
                    for o in 0..<outer { (dst + o * total + offset).update(from: src.baseAddress! + o * width, count: width) }
                }
                let range = (offset / inner)..<(offset / inner + t.shape[axis])
                pieces.append((t, { $0.sliced(alongAxis: axis, range) }))
                offset += width
            }
        })
        return record("concatenate", value, pieces)
    }

    /// `tensors` of one shape stacked along a new axis: `k × [..s] -> [.., k, ..]`.
    public static func stack(_ tensors: [Tensor], alongAxis axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "stack: no tensors")
        return concatenate(tensors.map { $0.expandingDimension(at: axis) }, alongAxis: axis)
    }
}
