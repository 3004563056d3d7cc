import StudioCore
import StudioEval
import XCTest

final class NearestTrainingImagesTests: XCTestCase {
    func testMatchesBruteForceReference() throws {
        let fixture = try MetricsFixture.load()
        for rows in [nil, 1, 4] as [Int?] {
            let nearest = try NearestTrainingImages(samples: fixture.samples.tensor,
                                                    training: fixture.trainingImages.tensor, rowsPerBlock: rows)
            XCTAssertEqual(nearest.matches.map(\.sample), Array(0..<6))
            XCTAssertEqual(nearest.matches.map(\.trainingImage), fixture.nearestIndices)
            for (match, expected) in zip(nearest.matches, fixture.nearestDistances) {
                XCTAssertEqual(match.distance, expected, accuracy: 1e-9)
            }
        }
    }

    func testClosestPairsFindTheCopies() throws {
        let fixture = try MetricsFixture.load()
        let nearest = try NearestTrainingImages(samples: fixture.samples.tensor, training: fixture.trainingImages.tensor)
        let closest = nearest.closest(2)
        // Sample 4 is an exact copy of training image 13 (distance exactly 0, which GEMM alone would
        // blur), sample 2 a copy of image 7 shifted by 0.01 in each of 16 pixels.
        XCTAssertEqual(closest, [
            .init(sample: 4, trainingImage: 13, distance: 0),
            .init(sample: 2, trainingImage: 7, distance: closest[1].distance),
        ])
        XCTAssertEqual(closest[1].distance, 0.04, accuracy: 1e-6)
        XCTAssertEqual(nearest.closest(100).count, 6)
        XCTAssertEqual(nearest.closest(0), [])
    }

    func testBadInputIsAnError() {
        let samples = Tensor(zeros: [2, 1, 4, 4])
        XCTAssertThrowsError(try NearestTrainingImages(samples: samples, training: Tensor(zeros: [3, 1, 5, 5]))) { error in
            XCTAssertEqual(error as? EvaluationError, .badShape(argument: "training images", shape: [3, 1, 5, 5],
                                                                expected: "[M, 1, 4, 4] like the samples"))
        }
        XCTAssertThrowsError(try NearestTrainingImages(samples: samples, training: Tensor(zeros: [0, 1, 4, 4])))
        XCTAssertThrowsError(try NearestTrainingImages(samples: Tensor(zeros: [4]), training: Tensor(zeros: [4])))
        var bad = Tensor(zeros: [3, 1, 4, 4]).scalars
        bad[16 + 5] = .infinity
        XCTAssertThrowsError(try NearestTrainingImages(samples: samples, training: Tensor(shape: [3, 1, 4, 4], scalars: bad))) { error in
            XCTAssertEqual(error as? EvaluationError, .nonFinite(argument: "training images", row: 1, column: 5))
        }
    }
}
