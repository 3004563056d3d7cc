import Foundation
import StudioCore
import XCTest

/// A tensor as make_fixtures.py writes it: shape and row-major values (float32 printed as float64).
struct FixtureTensor: Decodable {
    let shape: [Int]
    let values: [Double]

    var tensor: Tensor { Tensor(shape: Shape(shape), scalars: values.map(Float.init)) }
}

/// Everything in metrics.json, made by make_fixtures.py from NumPy and SciPy.
struct MetricsFixture: Decodable {
    let numpyVersion: String
    let scipyVersion: String
    let fidFirst: FixtureTensor
    let fidSecond: FixtureTensor
    let fid: Double
    let firstMean: [Double]
    let firstCovariance: [Double]
    let probabilities: FixtureTensor
    let inceptionSplitScores: [Double]
    let inceptionScore: Double
    let precisionReal: FixtureTensor
    let precisionGenerated: FixtureTensor
    let precision: Double
    let recall: Double
    let trainingImages: FixtureTensor
    let samples: FixtureTensor
    let nearestIndices: [Int]
    let nearestDistances: [Double]

    static func load() throws -> MetricsFixture {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "metrics", withExtension: "json", subdirectory: "Fixtures"),
                                "fixture metrics.json is missing from the test bundle")
        return try JSONDecoder().decode(MetricsFixture.self, from: Data(contentsOf: url))
    }
}

/// `[n, d]` features from a seeded normal generator, scaled and shifted.
func gaussianFeatures(_ n: Int, _ d: Int, seed: UInt64, scale: Float = 1, shift: Float = 0) -> Tensor {
    var generator = RandomGenerator(seed: seed)
    var values = [Float](repeating: 0, count: n * d)
    values.withUnsafeMutableBufferPointer { generator.fillNormal($0) }
    return Tensor(shape: [n, d], scalars: values.map { $0 * scale + shift })
}
