import StudioCore
@testable import StudioEval
import XCTest

final class FrechetScoreTests: XCTestCase {
    func testNamesCarryTheSampleCount() {
        XCTAssertEqual(FrechetScore.metricName(sampleCount: 10_000), "fid10k-classifier")
        XCTAssertEqual(FrechetScore.metricName(sampleCount: 1000), "fid1k-classifier")
        XCTAssertEqual(FrechetScore.metricName(sampleCount: 50_000), "fid50k-classifier")
        XCTAssertEqual(FrechetScore.metricName(sampleCount: 500), "fid500-classifier")
        XCTAssertEqual(FrechetScore.metricName(sampleCount: 2500), "fid2500-classifier")
        XCTAssertEqual(FrechetScore.metricName(sampleCount: 2_000_000, featureSpace: "inception"), "fid2M-inception")
    }

    func testScoreFromFeatures() throws {
        let generated = gaussianFeatures(40, 4, seed: 1, shift: 1), reference = gaussianFeatures(50, 4, seed: 2)
        let score = try FrechetScore(generated: generated, reference: reference, realFloor: 0.25)
        XCTAssertEqual(score.sampleCount, 40)
        XCTAssertEqual(score.name, "fid40-classifier")
        XCTAssertEqual(score.value, try FeatureGaussian.frechetDistance(generated, reference))
        XCTAssertEqual(score.realFloor, 0.25)
        // The shift of 1 in 4 coordinates dominates.
        XCTAssertGreaterThan(score.value, 3)
    }

    func testRealVersusRealFloorIsSmallDeterministicAndSeeded() throws {
        let real = gaussianFeatures(200, 4, seed: 3)
        let floor = try FrechetScore.realVersusReal(real, count: 100, seed: 7)
        XCTAssertEqual(try FrechetScore.realVersusReal(real, count: 100, seed: 7), floor, "same seed, same bits")
        XCTAssertNotEqual(try FrechetScore.realVersusReal(real, count: 100, seed: 8), floor)
        XCTAssertGreaterThan(floor, 0)
        XCTAssertLessThan(floor, 0.5, "two halves of one Gaussian sample are close")
        XCTAssertThrowsError(try FrechetScore.realVersusReal(real, count: 101, seed: 7)) { error in
            XCTAssertEqual(error as? EvaluationError, .tooFewRows(argument: "real features", count: 200, minimum: 202,
                                                                  reason: "two disjoint draws of 101"))
        }
        let other = gaussianFeatures(150, 4, seed: 4)
        let twoSets = try FrechetScore.realVersusReal(real, other, count: 150, seed: 7)
        XCTAssertEqual(try FrechetScore.realVersusReal(real, other, count: 150, seed: 7), twoSets)
        XCTAssertLessThan(twoSets, 0.5)
        XCTAssertThrowsError(try FrechetScore.realVersusReal(real, other, count: 151, seed: 7))
    }

    func testDrawsComeFromASeededPermutation() {
        // realVersusReal's two halves are the first and second `count` entries of this permutation,
        // so a permutation makes them disjoint.
        let order = FrechetScore.shuffledIndices(50, seed: 11)
        XCTAssertEqual(order.sorted(), Array(0..<50))
        XCTAssertNotEqual(order, Array(0..<50))
        XCTAssertEqual(FrechetScore.shuffledIndices(50, seed: 11), order)
        XCTAssertNotEqual(FrechetScore.shuffledIndices(50, seed: 12), order)
        XCTAssertEqual(FrechetScore.shuffledIndices(0, seed: 1), [])
    }
}
