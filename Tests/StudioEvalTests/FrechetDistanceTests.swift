import StudioCore
import StudioEval
import XCTest

final class FrechetDistanceTests: XCTestCase {
    func testMatchesSciPySqrtmReference() throws {
        let fixture = try MetricsFixture.load()
        let value = try FeatureGaussian.frechetDistance(fixture.fidFirst.tensor, fixture.fidSecond.tensor)
        XCTAssertEqual(value, fixture.fid, accuracy: 1e-7 * fixture.fid,
                       "numpy \(fixture.numpyVersion), scipy \(fixture.scipyVersion)")
        // Symmetric in its arguments.
        let swapped = try FeatureGaussian.frechetDistance(fixture.fidSecond.tensor, fixture.fidFirst.tensor)
        XCTAssertEqual(swapped, fixture.fid, accuracy: 1e-7 * fixture.fid)
    }

    func testGaussianFitMatchesNumPyCov() throws {
        let fixture = try MetricsFixture.load()
        let gaussian = try FeatureGaussian(features: fixture.fidFirst.tensor)
        XCTAssertEqual(gaussian.count, 120)
        XCTAssertEqual(gaussian.dimension, 12)
        for (a, b) in zip(gaussian.mean, fixture.firstMean) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        for (a, b) in zip(gaussian.covariance, fixture.firstCovariance) { XCTAssertEqual(a, b, accuracy: 1e-11) }
    }

    func testClosedFormCases() throws {
        // Identical sets: zero, not a tiny negative.
        let a = gaussianFeatures(60, 6, seed: 1)
        XCTAssertEqual(try FeatureGaussian.frechetDistance(a, a), 0, accuracy: 1e-9)
        XCTAssertGreaterThanOrEqual(try FeatureGaussian.frechetDistance(a, a), 0)
        // A shift by c in every coordinate adds exactly D·c² and nothing else.
        let shifted = Tensor(shape: a.shape, scalars: a.scalars.map { $0 + 0.5 })
        XCTAssertEqual(try FeatureGaussian.frechetDistance(a, shifted), 6 * 0.25, accuracy: 1e-5)
        // Diagonal covariances: Σ (σ1 - σ2)² + |μ1 - μ2|².
        let first = try FeatureGaussian(mean: [0, 0], covariance: [4, 0, 0, 9], count: 10)
        let second = try FeatureGaussian(mean: [1, 2], covariance: [1, 0, 0, 1], count: 10)
        XCTAssertEqual(try first.frechetDistance(to: second), 5 + 1 + 4, accuracy: 1e-12)
    }

    func testSingularCovariancesStayFinite() throws {
        // Fewer samples than dimensions: rank-deficient covariances, where sqrtm of the product is
        // ill-posed; the symmetric route must still give a finite, non-negative value.
        let a = gaussianFeatures(5, 12, seed: 2), b = gaussianFeatures(6, 12, seed: 3, shift: 0.2)
        let value = try FeatureGaussian.frechetDistance(a, b)
        XCTAssertTrue(value.isFinite && value >= 0, "\(value)")
        XCTAssertEqual(try FeatureGaussian.frechetDistance(a, a), 0, accuracy: 1e-9)
    }

    func testBadInputIsAnError() {
        let a = gaussianFeatures(10, 4, seed: 4)
        XCTAssertThrowsError(try FeatureGaussian.frechetDistance(a, gaussianFeatures(10, 5, seed: 5))) { error in
            XCTAssertEqual(error as? EvaluationError,
                           .badShape(argument: "second features", shape: [10, 5], expected: "[N, 4] like the first"))
        }
        XCTAssertThrowsError(try FeatureGaussian(features: Tensor(zeros: [1, 4]))) { error in
            XCTAssertTrue("\(error)".contains("features: 1 rows, at least 2 needed"), "\(error)")
        }
        XCTAssertThrowsError(try FeatureGaussian(features: Tensor(zeros: [3, 2, 2]))) { error in
            XCTAssertTrue("\(error)".contains("[N, D]"), "\(error)")
        }
        var poisoned = a.scalars
        poisoned[4 * 2 + 3] = .nan
        XCTAssertThrowsError(try FeatureGaussian.frechetDistance(a, Tensor(shape: [10, 4], scalars: poisoned))) { error in
            XCTAssertEqual(error as? EvaluationError, .nonFinite(argument: "second features", row: 2, column: 3))
        }
    }
}
