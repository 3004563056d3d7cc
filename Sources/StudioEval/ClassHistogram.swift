import StudioCore

/// How many samples fall in each class: by the classifier's top-1 prediction, or by given labels.
public struct ClassHistogram: Codable, Equatable, Sendable {
    /// The count of each class `0..<C`: `[C]`.
    public let counts: [Int]

    /// The number of samples counted.
    public var total: Int { counts.reduce(0, +) }
    /// Each class's share of the samples: `[C]`, all 0 when there are none.
    public var fractions: [Double] { counts.map { total == 0 ? 0 : Double($0) / Double(total) } }

    /// Counts the top-1 class of each row of `probabilities` `[N, C]` (the first on ties).
    public init(probabilities: Tensor) throws {
        try FeatureMatrix.validateProbabilities(probabilities)
        var counts = [Int](repeating: 0, count: probabilities.shape[1])
        for predicted in FeatureMatrix.argmax(probabilities) { counts[predicted] += 1 }
        self.counts = counts
    }

    /// Counts `labels`, each in `0..<classCount`.
    public init(labels: [Int], classCount: Int) throws {
        guard classCount >= 1 else {
            throw EvaluationError.badParameter(name: "classCount", value: classCount, expected: "at least 1")
        }
        var counts = [Int](repeating: 0, count: classCount)
        for (index, label) in labels.enumerated() {
            guard label >= 0 && label < classCount else {
                throw EvaluationError.labelOutOfRange(index: index, label: label, classCount: classCount)
            }
            counts[label] += 1
        }
        self.counts = counts
    }
}
