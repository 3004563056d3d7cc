import CKernels

/// Single-axis reductions over a tensor viewed as `[outer, reduced, inner]`.
extension Tensor {
    /// The view of `axis` as `(outer, reduced, inner)` sizes.
    func reductionView(axis: Int) -> (outer: Int, reduced: Int, inner: Int) {
        let outer = shape.dimensions[..<axis].reduce(1, *)
        let inner = shape.dimensions[(axis + 1)...].reduce(1, *)
        return (outer, shape[axis], inner)
    }

    /// Sums over `axis`, keeping it with size 1.
    func sumKernel(axis: Int) -> Tensor {
        let (outer, reduced, inner) = reductionView(axis: axis)
        var outShape = shape
        outShape[axis] = 1
        return withUnsafeBufferPointer { src in
            Tensor(shape: outShape, unsafeUninitialized: { dst in
                if inner == 1 {
                    parallelChunks(outer, grain: Swift.max(1, 65_536 / Swift.max(reduced, 1))) { range in
                        for o in range {
                            var acc: Double = 0
                            let base = o * reduced
                            for k in 0..<reduced { acc += Double(src[base + k]) }
                            dst[o] = Float(acc)
                        }
                    }
                } else {
                    let tiles = (inner + 255) / 256
                    parallelChunks(outer * tiles, grain: Swift.max(1, 65_536 / Swift.max(reduced * 256, 1))) { range in
                        for job in range {
                            let o = job / tiles
                            let start = (job % tiles) * 256
                            let end = Swift.min(inner, start + 256)
                            guard let source = src.baseAddress else {
                                for i in start..<end { dst[o * inner + i] = 0 }
                                continue
                            }
                            studio_sum_strided(source + o * reduced * inner + start, reduced, inner, end - start,
                                               dst.baseAddress! + o * inner + start)
                        }
                    }
                }
            })
        }
    }

    /// Maximum over `axis` (kept with size 1) and, for each output, the flat source offset of the
    /// first scalar that attains it.
    func maxKernel(axis: Int) -> (values: Tensor, argmax: [Int]) {
        let (outer, reduced, inner) = reductionView(axis: axis)
        precondition(reduced > 0, "max: cannot reduce an empty axis of \(shape)")
        var outShape = shape
        outShape[axis] = 1
        var positions = [Int](repeating: 0, count: outer * inner)
        let values = withUnsafeBufferPointer { src in
            positions.withUnsafeMutableBufferPointer { pos in
                Tensor(shape: outShape, unsafeUninitialized: { dst in
                    parallelChunks(outer * inner, grain: Swift.max(1, 65_536 / reduced)) { range in
                        for j in range {
                            let o = j / inner, i = j % inner
                            var best = src[o * reduced * inner + i]
                            var bestOffset = o * reduced * inner + i
                            for k in 1..<Swift.max(reduced, 1) {
                                let offset = (o * reduced + k) * inner + i
                                let v = src[offset]
                                if v > best || (v.isNaN && !best.isNaN) {
                                    best = v
                                    bestOffset = offset
                                }
                            }
                            dst[j] = best
                            pos[j] = bestOffset
                        }
                    }
                })
            }
        }
        return (values, positions)
    }
}
