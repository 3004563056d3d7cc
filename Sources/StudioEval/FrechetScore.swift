import StudioCore

/// A Fréchet distance reported under a name that carries its sample count and feature space
/// (`fid10k-classifier`), since FID falls as the count grows and values at different counts do not
/// compare; with the real-versus-real value at the same count, the floor a perfect model would reach.
public struct FrechetScore: Codable, Equatable, Sendable {
    /// The number of generated samples the value was computed from.
    public let sampleCount: Int
    /// The network whose features were used, e.g. "classifier".
    public let featureSpace: String
    /// The Fréchet distance.
    public let value: Double
    /// FID between two real sets of `sampleCount` rows each, when measured.
    public let realFloor: Double?

    /// The metric's name, e.g. `fid10k-classifier`; see `metricName(sampleCount:featureSpace:)`.
    public var name: String { Self.metricName(sampleCount: sampleCount, featureSpace: featureSpace) }

    /// A score from values computed elsewhere.
    public init(sampleCount: Int, featureSpace: String = "classifier", value: Double, realFloor: Double? = nil) {
        self.sampleCount = sampleCount
        self.featureSpace = featureSpace
        self.value = value
        self.realFloor = realFloor
    }

    /// FID of the generated features `[N, D]` against the reference features `[M, D]`, named by `N`.
    public init(generated: Tensor, reference: Tensor, featureSpace: String = "classifier",
                realFloor: Double? = nil) throws {
        let value = try FeatureGaussian(features: generated, argument: "generated features")
            .frechetDistance(to: FeatureGaussian(features: reference, argument: "reference features"))
        self.init(sampleCount: generated.shape[0], featureSpace: featureSpace, value: value, realFloor: realFloor)
    }

    /// `fid<count>-<featureSpace>`, the count written in thousands (`10k`) when it is a whole number of
    /// thousands, in millions (`1M`) when a whole number of millions, and in digits otherwise:
    /// 10000 -> `fid10k-classifier`, 1000 -> `fid1k-classifier`, 500 -> `fid500-classifier`,
    /// 2500 -> `fid2500-classifier`, 50000 -> `fid50k-classifier`.
    public static func metricName(sampleCount: Int, featureSpace: String = "classifier") -> String {
        let count: String
        if sampleCount > 0 && sampleCount % 1_000_000 == 0 {
            count = "\(sampleCount / 1_000_000)M"
        } else if sampleCount > 0 && sampleCount % 1000 == 0 {
            count = "\(sampleCount / 1000)k"
        } else {
            count = "\(sampleCount)"
        }
        return "fid\(count)-\(featureSpace)"
    }

    /// The real-versus-real floor from one real set: FID between two disjoint draws of `count` rows
    /// of `features` `[N, D]` (`N >= 2 count`), chosen by a shuffle seeded with `seed`.
    public static func realVersusReal(_ features: Tensor, count: Int, seed: UInt64) throws -> Double {
        try FeatureMatrix.validate(features, "real features")
        guard count >= 2 else {
            throw EvaluationError.badParameter(name: "count", value: count, expected: "at least 2")
        }
        guard features.shape[0] >= 2 * count else {
            throw EvaluationError.tooFewRows(argument: "real features", count: features.shape[0], minimum: 2 * count,
                                             reason: "two disjoint draws of \(count)")
        }
        let order = shuffledIndices(features.shape[0], seed: seed)
        return try FeatureGaussian.frechetDistance(FeatureMatrix.rows(features, Array(order[0..<count])),
                                                   FeatureMatrix.rows(features, Array(order[count..<(2 * count)])))
    }

    /// The real-versus-real floor from two real sets (say the test set and the training set):
    /// FID between `count` rows drawn without replacement from each of `first` `[N1, D]` and
    /// `second` `[N2, D]`; a set of exactly `count` rows is used whole.
    public static func realVersusReal(_ first: Tensor, _ second: Tensor, count: Int, seed: UInt64) throws -> Double {
        guard count >= 2 else {
            throw EvaluationError.badParameter(name: "count", value: count, expected: "at least 2")
        }
        for (tensor, argument) in [(first, "first real features"), (second, "second real features")] {
            try FeatureMatrix.validate(tensor, argument, minimumRows: count, reason: "a draw of \(count)")
        }
        let a = FeatureMatrix.rows(first, Array(shuffledIndices(first.shape[0], seed: seed)[0..<count]))
        let b = FeatureMatrix.rows(second, Array(shuffledIndices(second.shape[0], seed: seed &+ 1)[0..<count]))
        return try FeatureGaussian(features: a, argument: "first real features")
            .frechetDistance(to: FeatureGaussian(features: b, argument: "second real features"))
    }

    /// A Fisher-Yates permutation of `0..<count` from `seed`; the index draw is written out rather than
    /// left to the standard library, whose algorithm may change between Swift versions.
    static func shuffledIndices(_ count: Int, seed: UInt64) -> [Int] {
        var generator = RandomGenerator(seed: seed, stream: 0x4649_4446)
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(generator.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        return order
    }
}
