import Foundation
import StudioCore

/// The Inception-score analogue on a classifier's outputs: `exp(E_x KL(p(y|x) || p(y)))`, high when
/// each sample is classified confidently and the classes are evenly used. As in the original
/// protocol the samples may be cut into `splits` consecutive parts, each scored on its own.
public struct InceptionScore: Codable, Equatable, Sendable {
    /// The score of each split, in order.
    public let splitScores: [Double]

    /// The mean of the split scores.
    public var mean: Double { splitScores.reduce(0, +) / Double(splitScores.count) }
    /// The population standard deviation of the split scores (NumPy's `std`), 0 for one split.
    public var standardDeviation: Double {
        let m = mean
        return (splitScores.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(splitScores.count)).squareRoot()
    }

    /// Scores class probabilities `[N, C]` (rows are softmax outputs) in `splits` parts; part `i` holds
    /// rows `i·N/splits ..< (i+1)·N/splits`. `0·log 0` counts as 0.
    public init(probabilities: Tensor, splits: Int = 1) throws {
        try FeatureMatrix.validateProbabilities(probabilities)
        let (n, c) = (probabilities.shape[0], probabilities.shape[1])
        guard splits >= 1, splits <= n else {
            throw EvaluationError.badParameter(name: "splits", value: splits, expected: "1...\(n) (the sample count)")
        }
        splitScores = probabilities.withUnsafeBufferPointer { p in
            (0..<splits).map { split in
                let rows = (split * n / splits)..<((split + 1) * n / splits)
                var marginal = [Double](repeating: 0, count: c)
                for i in rows {
                    for k in 0..<c { marginal[k] += Double(p[i * c + k]) }
                }
                let logMarginal = marginal.map { log($0 / Double(rows.count)) }
                var divergence = 0.0
                for i in rows {
                    for k in 0..<c {
                        let q = Double(p[i * c + k])
                        if q > 0 { divergence += q * (log(q) - logMarginal[k]) }
                    }
                }
                return exp(divergence / Double(rows.count))
            }
        }
    }
}
