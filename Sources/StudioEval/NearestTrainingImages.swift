import StudioCore

/// The memorisation check: for every generated sample, the training image nearest to it in pixel
/// space (L2), so that copies of training images show up as pairs at a small distance.
public struct NearestTrainingImages: Equatable, Sendable {
    /// A generated sample and the training image nearest to it.
    public struct Match: Codable, Equatable, Sendable {
        /// The sample's index in the samples tensor.
        public let sample: Int
        /// The nearest training image's index in the training tensor.
        public let trainingImage: Int
        /// The L2 distance between the two, over all pixels.
        public let distance: Double

        /// A match from its parts.
        public init(sample: Int, trainingImage: Int, distance: Double) {
            self.sample = sample
            self.trainingImage = trainingImage
            self.distance = distance
        }
    }

    /// One match per sample, in sample order: `[N]`.
    public let matches: [Match]

    /// Finds the nearest of `training` `[M, C, H, W]` to each of `samples` `[N, C, H, W]` (any shape
    /// after the first axis, the same for both, and the same pixel scale, e.g. both in [-1, 1]).
    /// The search runs on GEMM distances in blocks of `rowsPerBlock` samples (by default as many as fit
    /// in 64 MiB); the winner's distance is then recomputed exactly in Double. The first of equally
    /// near training images wins.
    public init(samples: Tensor, training: Tensor, rowsPerBlock: Int? = nil) throws {
        guard samples.rank >= 2 else {
            throw EvaluationError.badShape(argument: "samples", shape: samples.shape, expected: "[N, C, H, W]")
        }
        guard training.rank == samples.rank, training.shape.dropFirst().elementsEqual(samples.shape.dropFirst()) else {
            let image = samples.shape.dropFirst().map(String.init).joined(separator: ", ")
            throw EvaluationError.badShape(argument: "training images", shape: training.shape,
                                           expected: "[M, \(image)] like the samples")
        }
        guard samples.elementCount > 0 else {
            throw EvaluationError.tooFewRows(argument: "samples", count: samples.shape[0], minimum: 1,
                                             reason: "nothing to check")
        }
        guard training.shape[0] >= 1 else {
            throw EvaluationError.tooFewRows(argument: "training images", count: 0, minimum: 1,
                                             reason: "a nearest image must exist")
        }
        if let rowsPerBlock, rowsPerBlock < 1 {
            throw EvaluationError.badParameter(name: "rowsPerBlock", value: rowsPerBlock, expected: "at least 1")
        }
        try FeatureMatrix.requireFinite(samples, "samples")
        try FeatureMatrix.requireFinite(training, "training images")
        let a = FeatureMatrix.flattenedRows(samples), b = FeatureMatrix.flattenedRows(training)
        let (n, m, width) = (a.shape[0], b.shape[0], a.shape[1])

        var nearest = [Int](repeating: 0, count: n)
        nearest.withUnsafeMutableBufferPointer { nearest in
            PairwiseDistances(rows: a, columns: b, rowsPerBlock: rowsPerBlock).forEachBlock { start, d in
                FeatureMatrix.concurrentRows(d.count / m) { r in
                    var best = 0
                    for c in 1..<m where d[r * m + c] < d[r * m + best] { best = c }
                    nearest[start + r] = best
                }
            }
        }
        matches = a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                (0..<n).map { i in
                    let j = nearest[i]
                    var sum = 0.0
                    for k in 0..<width {
                        let difference = Double(x[i * width + k]) - Double(y[j * width + k])
                        sum += difference * difference
                    }
                    return Match(sample: i, trainingImage: j, distance: sum.squareRoot())
                }
            }
        }
    }

    /// The `count` matches with the smallest distances, nearest first (ties by sample index), for a
    /// grid of sample / training-image pairs.
    public func closest(_ count: Int) -> [Match] {
        Array(matches.sorted { ($0.distance, $0.sample) < ($1.distance, $1.sample) }.prefix(Swift.max(0, count)))
    }
}
