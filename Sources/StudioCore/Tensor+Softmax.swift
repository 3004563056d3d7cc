import Foundation

// MARK: - Softmax beside its pullback

extension Tensor {
    /// e^x normalised to sum 1 along the last axis: `[..., n] -> [..., n]`. Each row is shifted by
    /// its maximum first, so large logits (attention scores) cannot overflow.
    public func softmax() -> Tensor {
        precondition(rank >= 1, "softmax: needs at least one axis, got a scalar")
        let width = shape[rank - 1]
        let rows = width == 0 ? 0 : elementCount / width
        let y = withUnsafeBufferPointer { src in
            Tensor(shape: shape, unsafeUninitialized: { dst in
                parallelChunks(rows, grain: Swift.max(1, 16_384 / Swift.max(width, 1))) { range in
                    for row in range {
                        let base = row * width
                        var peak = -Float.infinity
                        for j in 0..<width { peak = Swift.max(peak, src[base + j]) }
                        if !peak.isFinite { peak = 0 }
                        var total: Float = 0
                        for j in 0..<width {
                            let e = Foundation.exp(src[base + j] - peak)
                            dst[base + j] = e
                            total += e
                        }
                        let scale = 1 / total
                        for j in 0..<width { dst[base + j] *= scale }
                    }
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
