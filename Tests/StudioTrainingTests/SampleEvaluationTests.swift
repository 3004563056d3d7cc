import XCTest
import StudioCore
import StudioEval
@testable import StudioTraining

/// Features are the pixels themselves; class 1's probability is the mean pixel.
private struct PixelClassifier: FeatureClassifier {
    var imageShape = [1, 4, 4]
    var classCount = 2
    func featuresAndProbabilities(_ images: Tensor) throws -> (features: Tensor, probabilities: Tensor) {
        let n = images.shape[0]
        let features = images.reshaped(to: [n, 16])
        let bright = features.mean(alongAxes: [1]).scalars
        return (features, Tensor(shape: [n, 2], scalars: bright.flatMap { [1 - $0, $0] }))
    }
}

final class SampleEvaluationTests: XCTestCase {
    private func images(_ n: Int, seed: UInt64) -> Tensor {
        var generator = RandomGenerator(seed: seed)
        return Tensor.randomUniform([n, 1, 4, 4], using: &generator)
    }

    func testCopiesOfTrainingImagesShowAsMemorisedAndLabelsAreScored() throws {
        let training = images(60, seed: 1), test = images(40, seed: 2)
        let samples = training.sliced(alongAxis: 0, 10..<30)
        let brightness = samples.reshaped(to: [20, 16]).mean(alongAxes: [1]).scalars
        let labels = brightness.enumerated().map { $0.offset < 5 ? ($0.element >= 0.5 ? 0 : 1) : ($0.element >= 0.5 ? 1 : 0) }
        let report = try SampleEvaluation(samples: samples, labels: labels, test: test, training: training,
                                          classifier: PixelClassifier(), closestPairCount: 3)
        XCTAssertEqual(report.fidName, "fid20-classifier")
        XCTAssertNotNil(report.fid.realFloor)
        XCTAssertEqual(report.nearestDistanceMin, 0)
        XCTAssertEqual(report.nearestDistanceMedian, 0, "every sample is a training image")
        XCTAssertEqual(report.closestPairs.count, 3)
        XCTAssertEqual(report.closestPairs[0].trainingImage - report.closestPairs[0].sample, 10)
        XCTAssertEqual(try XCTUnwrap(report.accuracy), 0.75, accuracy: 1e-12, "the first 5 of 20 labels are wrong")
        XCTAssertEqual(report.classHistogram.reduce(0, +), 20)

        let fresh = try SampleEvaluation(samples: images(20, seed: 3), labels: nil, test: test, training: training,
                                         classifier: PixelClassifier())
        XCTAssertGreaterThan(fresh.nearestDistanceMin, 0)
        XCTAssertNil(fresh.accuracy)
    }

    func testImagesOfAnotherSizeAreRefused() {
        XCTAssertThrowsError(try SampleEvaluation(samples: Tensor(zeros: [4, 1, 8, 8]), labels: nil, test: images(10, seed: 2),
                                                  training: images(10, seed: 1), classifier: PixelClassifier())) { error in
            XCTAssertTrue("\(error)".contains("[1, 8, 8]") && "\(error)".contains("[1, 4, 4]"), "\(error)")
        }
    }

    func testTheInceptionScoreOfSamplesSortedByClassIsThatOfShuffledOnes() throws {
        // 1000 confident samples, 100 of each of 10 classes, sorted by class as augment writes them.
        let sorted = Tensor.oneHot((0..<1000).map { $0 / 100 }, classes: 10)
        let score = try SampleEvaluation.inceptionScore(probabilities: sorted, seed: 0)
        XCTAssertEqual(score.splitScores.count, 10)
        XCTAssertGreaterThan(score.mean, 8, "each split sees most classes, not one: \(score.splitScores)")
        XCTAssertEqual(try InceptionScore(probabilities: sorted, splits: 10).mean, 1, accuracy: 1e-6,
                       "without shuffling every split would hold one class")
    }
}
