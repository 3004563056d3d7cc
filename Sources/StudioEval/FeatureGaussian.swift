import StudioCore

/// A Gaussian fitted to a feature set, in Double: the mean and the unbiased covariance (as NumPy's
/// `np.cov(rowvar=False)`, which FID implementations use).
public struct FeatureGaussian: Equatable, Sendable {
    /// The feature dimension `D`.
    public let dimension: Int
    /// The number of feature rows the Gaussian was fitted to.
    public let count: Int
    /// The mean: `[D]`.
    public let mean: [Double]
    /// The covariance, row-major `[D, D]`, normalised by `N - 1`.
    public let covariance: [Double]

    /// Fits the Gaussian to the rows of `features` `[N, D]`, `N >= 2`.
    public init(features: Tensor) throws {
        try self.init(features: features, argument: "features")
    }

    /// Fits to `features`, naming them `argument` in errors.
    init(features: Tensor, argument: String) throws {
        try FeatureMatrix.validate(features, argument, minimumRows: 2,
                                   reason: "a covariance needs two samples")
        let (n, d) = (features.shape[0], features.shape[1])
        var mean = [Double](repeating: 0, count: d)
        var covariance = [Double](repeating: 0, count: d * d)
        features.withUnsafeBufferPointer { x in
            for i in 0..<n {
                for k in 0..<d { mean[k] += Double(x[i * d + k]) }
            }
            for k in 0..<d { mean[k] /= Double(n) }
            // Centring first keeps the sums free of the cancellation E[x²] - E[x]² suffers.
            var centred = [Double](repeating: 0, count: d)
            covariance.withUnsafeMutableBufferPointer { c in
                centred.withUnsafeMutableBufferPointer { v in
                    for i in 0..<n {
                        for k in 0..<d { v[k] = Double(x[i * d + k]) - mean[k] }
                        for r in 0..<d {
                            let vr = v[r], row = c.baseAddress! + r * d
                            for k in 0...r { row[k] += vr * v[k] }
                        }
                    }
                }
            }
        }
        let scale = 1 / Double(n - 1)
        for r in 0..<d {
            for k in 0...r {
                let value = covariance[r * d + k] * scale
                covariance[r * d + k] = value
                covariance[k * d + r] = value
            }
        }
        self.init(unchecked: mean, covariance: covariance, count: n)
    }

    /// A Gaussian from a known mean `[D]` and covariance `[D, D]` (symmetric positive
    /// semi-definite), for statistics computed elsewhere; `count` is the sample count behind them.
    public init(mean: [Double], covariance: [Double], count: Int) throws {
        guard covariance.count == mean.count * mean.count, !mean.isEmpty else {
            throw EvaluationError.badShape(argument: "covariance", shape: Shape([covariance.count]),
                                           expected: "\(mean.count) × \(mean.count) scalars for a mean of \(mean.count)")
        }
        if let bad = mean.firstIndex(where: { !$0.isFinite }) {
            throw EvaluationError.nonFinite(argument: "mean", row: 0, column: bad)
        }
        if let bad = covariance.firstIndex(where: { !$0.isFinite }) {
            throw EvaluationError.nonFinite(argument: "covariance", row: bad / mean.count, column: bad % mean.count)
        }
        self.init(unchecked: mean, covariance: covariance, count: count)
    }

    private init(unchecked mean: [Double], covariance: [Double], count: Int) {
        self.dimension = mean.count
        self.count = count
        self.mean = mean
        self.covariance = covariance
    }

    /// The Fréchet distance `|μ1 - μ2|² + Tr(Σ1) + Tr(Σ2) - 2 Tr(sqrt(Σ1 Σ2))` to `other`.
    ///
    /// `Tr(sqrt(Σ1 Σ2))` is the sum of the square roots of the eigenvalues of the symmetric
    /// `sqrt(Σ1) Σ2 sqrt(Σ1)`, which has the same spectrum as `Σ1 Σ2`; two symmetric
    /// eigendecompositions stay real and stable where a general `sqrtm` of a singular product
    /// turns complex. Eigenvalues that rounding pushes below zero count as zero.
    public func frechetDistance(to other: FeatureGaussian) throws -> Double {
        guard other.dimension == dimension else {
            throw EvaluationError.badShape(argument: "second features", shape: [other.count, other.dimension],
                                           expected: "[N, \(dimension)] like the first")
        }
        let d = dimension
        var meanTerm = 0.0, traces = 0.0
        for k in 0..<d {
            meanTerm += (mean[k] - other.mean[k]) * (mean[k] - other.mean[k])
            traces += covariance[k * d + k] + other.covariance[k * d + k]
        }
        do {
            let root = try SymmetricEigendecomposition(symmetric: covariance, dimension: d)
                .applying { Swift.max(0, $0).squareRoot() }
            let product = Self.multiply(Self.multiply(root, other.covariance, d), root, d)
            let spectrum = try SymmetricEigendecomposition(symmetric: product, dimension: d).values
            let traceOfRoot = spectrum.reduce(0) { $0 + Swift.max(0, $1).squareRoot() }
            // A squared distance; rounding must not report identical sets as slightly negative.
            return Swift.max(0, meanTerm + traces - 2 * traceOfRoot)
        } catch let error as SymmetricEigenError {
            throw EvaluationError.linearAlgebra(error)
        }
    }

    /// The Fréchet distance between Gaussians fitted to `first` `[N1, D]` and `second` `[N2, D]`.
    public static func frechetDistance(_ first: Tensor, _ second: Tensor) throws -> Double {
        try FeatureGaussian(features: first, argument: "first features")
            .frechetDistance(to: FeatureGaussian(features: second, argument: "second features"))
    }

    /// `a · b` for row-major `[n, n]` matrices.
    private static func multiply(_ a: [Double], _ b: [Double], _ n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: n * n)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    for i in 0..<n {
                        for k in 0..<n {
                            let aik = a[i * n + k]
                            if aik == 0 { continue }
                            for j in 0..<n { c[i * n + j] += aik * b[k * n + j] }
                        }
                    }
                }
            }
        }
        return c
    }
}
