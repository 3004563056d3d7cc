import CKernels

// MARK: - Softmax beside its pullback

extension Tensor {
    /// e^x normalised to sum 1 along the last axis: `[..., n] -> [..., n]`. Each row is shifted by
    /// its maximum first, so large logits (attention scores) cannot overflow; the rows run in
    /// `studio_softmax_rows`, whose vector loops take an attention row's exponentials sixteen at a time.
    public func softmax() -> Tensor {
        precondition(rank >= 1, "softmax: needs at least one axis, got a scalar")
        let width = shape[rank - 1]
        let rows = width == 0 ? 0 : elementCount / width
        let y = withUnsafeBufferPointer { src in
            Tensor(shape: shape, unsafeUninitialized: { dst in
                parallelChunks(rows, grain: Swift.max(1, 16_384 / Swift.max(width, 1))) { range in
                    studio_softmax_rows(src.baseAddress! + range.lowerBound * width,
                                        dst.baseAddress! + range.lowerBound * width, range.count, width)
                }
            })
        }
        // dL/dx = y * (g - sum(g * y)) along the row; written with tensor ops so it can be recorded.
        return Tensor.record("softmax", y, (self, { g in
            let s = Tensor.output(y, orRecompute: self.softmax())
            return s * (g - (g * s).sum(alongAxes: [-1], keepingDimensions: true))
        }))
    }
}
