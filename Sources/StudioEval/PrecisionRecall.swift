import StudioCore

/// Precision and recall in feature space with k-nearest-neighbour manifolds (Kynkäänniemi et al.,
/// 2019): each set's manifold is the union of balls around its points, each reaching that point's
/// `k`-th nearest neighbour in the same set. Precision is the share of generated samples inside the
/// real manifold (are samples realistic?); recall the share of real samples inside the generated
/// one (is the real variety covered?).
public struct PrecisionRecall: Codable, Equatable, Sendable {
    /// Share of generated samples within some real sample's neighbourhood radius.
    public let precision: Double
    /// Share of real samples within some generated sample's neighbourhood radius.
    public let recall: Double
    /// The `k` of the k-NN radii.
    public let neighbours: Int

    /// Precision and recall of `generated` `[M, D]` against `real` `[N, D]`, both with more than
    /// `neighbours` rows. Distances come from GEMM in blocks of `rowsPerBlock` rows (by default as
    /// many as fit in 64 MiB). A point's radius counts the point itself as its 0-th neighbour, and a
    /// sample on a ball's boundary is inside.
    public init(real: Tensor, generated: Tensor, neighbours: Int = 3, rowsPerBlock: Int? = nil) throws {
        guard neighbours >= 1 else {
            throw EvaluationError.badParameter(name: "neighbours", value: neighbours, expected: "at least 1")
        }
        if let rowsPerBlock, rowsPerBlock < 1 {
            throw EvaluationError.badParameter(name: "rowsPerBlock", value: rowsPerBlock, expected: "at least 1")
        }
        let reason = "a \(neighbours)-nearest-neighbour radius needs \(neighbours) other points"
        try FeatureMatrix.validate(real, "real features", minimumRows: neighbours + 1, reason: reason)
        try FeatureMatrix.validate(generated, "generated features", minimumRows: neighbours + 1, reason: reason)
        guard generated.shape[1] == real.shape[1] else {
            throw EvaluationError.badShape(argument: "generated features", shape: generated.shape,
                                           expected: "[M, \(real.shape[1])] like the real features")
        }
        let realRadii = Self.squaredRadii(real, neighbours: neighbours, rowsPerBlock: rowsPerBlock)
        let generatedRadii = Self.squaredRadii(generated, neighbours: neighbours, rowsPerBlock: rowsPerBlock)

        let (m, n) = (generated.shape[0], real.shape[0])
        var precise = [Bool](repeating: false, count: m)
        var recalled = [Bool](repeating: false, count: n)
        PairwiseDistances(rows: generated, columns: real, rowsPerBlock: rowsPerBlock).forEachBlock { start, d in
            let rows = d.count / n
            precise.withUnsafeMutableBufferPointer { precise in
                FeatureMatrix.concurrentRows(rows) { r in
                    let base = r * n
                    precise[start + r] = (0..<n).contains { d[base + $0] <= realRadii[$0] }
                }
            }
            for r in 0..<rows {
                let base = r * n, radius = generatedRadii[start + r]
                for c in 0..<n where !recalled[c] && d[base + c] <= radius { recalled[c] = true }
            }
        }
        self.precision = Double(precise.count { $0 }) / Double(m)
        self.recall = Double(recalled.count { $0 }) / Double(n)
        self.neighbours = neighbours
    }

    /// The squared distance from each row of `features` `[N, D]` to its `k`-th nearest row, the row
    /// itself being the 0-th: `[N]`.
    static func squaredRadii(_ features: Tensor, neighbours k: Int, rowsPerBlock: Int?) -> [Float] {
        let n = features.shape[0]
        var radii = [Float](repeating: 0, count: n)
        radii.withUnsafeMutableBufferPointer { radii in
            PairwiseDistances(rows: features, columns: features, rowsPerBlock: rowsPerBlock).forEachBlock { start, d in
                FeatureMatrix.concurrentRows(d.count / n) { r in
                    var nearest = SmallestValues(capacity: k + 1)
                    // The diagonal is zero exactly; GEMM rounding could leave a small positive value there.
                    nearest.offer(0, index: start + r)
                    for c in 0..<n where c != start + r { nearest.offer(d[r * n + c], index: c) }
                    radii[start + r] = nearest.values[k]
                }
            }
        }
        return radii
    }
}
