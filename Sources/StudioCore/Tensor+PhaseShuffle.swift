// MARK: - Phase shuffle (WaveGAN, Donahue et al. 2019)
//
// Shifting a sequence and reflecting into the vacated end is a fixed linear map per example: a
// gather along time. Its pullback is the matching scatter-add, whose pullback is the gather again,
// so both are recorded ops and any derivative order stays differentiable (WGAN-GP critics use it).

extension Tensor {
    /// Each example's sequence shifted by its own offset, the vacated end filled by reflection
    /// (PyTorch's `reflect` padding, edge not repeated): `[N, C, L]` with N shifts, each `|k| < L`,
    /// `-> [N, C, L]`, `out[b, c, t] = x[b, c, reflect(t - k_b)]`.
    public func phaseShuffled(shifts: [Int]) -> Tensor {
        precondition(rank == 3, "phaseShuffled: input must be [N, C, L], got \(shape)")
        precondition(shifts.count == shape[0], "phaseShuffled: \(shifts.count) shifts for a batch of \(shape[0])")
        for k in shifts {
            precondition(Swift.abs(k) < shape[2], "phaseShuffled: shift \(k) needs a sequence longer than \(Swift.abs(k)), got \(shape)")
        }
        return Tensor.reflectShift(self, shifts: shifts, adjoint: false)
    }

    /// The gather (`adjoint == false`) or its adjoint scatter-add, each recorded with the other as pullback.
    private static func reflectShift(_ input: Tensor, shifts: [Int], adjoint: Bool) -> Tensor {
        let (batch, channels, length) = (input.shape[0], input.shape[1], input.shape[2])
        let maps = shifts.map { reflectionMap(shift: $0, length: length) }
        let value = input.withUnsafeBufferPointer { src in
            Tensor(shape: input.shape, unsafeUninitialized: { dst in
                let base = dst.baseAddress!
                parallelChunks(batch * channels, grain: Swift.max(1, 32_768 / length)) { rows in
                    for row in rows {
                        let map = maps[row / channels]
                        let offset = row * length
                        if adjoint {
                            (base + offset).initialize(repeating: 0, count: length)
                            for t in 0..<length { base[offset + map[t]] += src[offset + t] }
                        } else {
                            for t in 0..<length { base[offset + t] = src[offset + map[t]] }
                        }
                    }
                }
            })
        }
        return record(adjoint ? "phaseShuffleAdjoint" : "phaseShuffle", value,
                      (input, { reflectShift($0, shifts: shifts, adjoint: !adjoint) }))
    }

    /// For each output position t, the input position `reflect(t - shift)` it reads.
    private static func reflectionMap(shift: Int, length: Int) -> [Int] {
        (0..<length).map { t in
            let i = t - shift
            return i < 0 ? -i : (i >= length ? 2 * (length - 1) - i : i)
        }
    }
}
