import StudioCore

/// Top-1 accuracy of a classifier on labelled samples, overall and per class.
public struct ClassifierAccuracy: Codable, Equatable, Sendable {
    /// Samples whose top-1 class equals their label.
    public let correct: Int
    /// Samples scored.
    public let count: Int
    /// Correct samples per label: `[C]`.
    public let correctPerClass: [Int]
    /// Samples per label: `[C]`.
    public let countPerClass: [Int]

    /// `correct / count`.
    public var value: Double { Double(correct) / Double(count) }
    /// Each class's accuracy, nil for a class with no samples: `[C]`.
    public var valuePerClass: [Double?] {
        zip(correctPerClass, countPerClass).map { $1 == 0 ? nil : Double($0) / Double($1) }
    }

    /// Scores probabilities `[N, C]` (softmax outputs) against `labels` `[N]` in `0..<C`; a row's
    /// prediction is its largest entry, the first one on ties.
    public init(probabilities: Tensor, labels: [Int]) throws {
        try FeatureMatrix.validateProbabilities(probabilities)
        let (n, c) = (probabilities.shape[0], probabilities.shape[1])
        guard labels.count == n else {
            throw EvaluationError.badShape(argument: "labels", shape: [labels.count],
                                           expected: "[\(n)], one label per probability row")
        }
        var correctPerClass = [Int](repeating: 0, count: c)
        var countPerClass = [Int](repeating: 0, count: c)
        for (index, predicted) in FeatureMatrix.argmax(probabilities).enumerated() {
            let label = labels[index]
            guard label >= 0 && label < c else {
                throw EvaluationError.labelOutOfRange(index: index, label: label, classCount: c)
            }
            countPerClass[label] += 1
            if predicted == label { correctPerClass[label] += 1 }
        }
        self.correct = correctPerClass.reduce(0, +)
        self.count = n
        self.correctPerClass = correctPerClass
        self.countPerClass = countPerClass
    }
}
