import StudioCore
import StudioEval
import XCTest

final class ClassProbabilityTests: XCTestCase {
    func testInceptionScoreMatchesReference() throws {
        let fixture = try MetricsFixture.load()
        let whole = try InceptionScore(probabilities: fixture.probabilities.tensor)
        XCTAssertEqual(whole.splitScores.count, 1)
        XCTAssertEqual(whole.mean, fixture.inceptionScore, accuracy: 1e-9)
        XCTAssertEqual(whole.standardDeviation, 0)
        let split = try InceptionScore(probabilities: fixture.probabilities.tensor, splits: 3)
        for (a, b) in zip(split.splitScores, fixture.inceptionSplitScores) { XCTAssertEqual(a, b, accuracy: 1e-9) }
        let mean = fixture.inceptionSplitScores.reduce(0, +) / 3
        let variance = fixture.inceptionSplitScores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 3
        XCTAssertEqual(split.mean, mean, accuracy: 1e-9)
        XCTAssertEqual(split.standardDeviation, variance.squareRoot(), accuracy: 1e-9)
    }

    func testInceptionScoreExtremes() throws {
        // Confident and evenly spread over C classes: the score is C. Always the same class: 1.
        let c = 4
        let oneHot = Tensor(shape: [8, c], scalars: (0..<8 * c).map { $0 % c == ($0 / c) % c ? 1 : 0 })
        XCTAssertEqual(try InceptionScore(probabilities: oneHot).mean, Double(c), accuracy: 1e-12)
        let collapsed = Tensor(shape: [8, c], scalars: (0..<8 * c).map { $0 % c == 2 ? 1 : 0 })
        XCTAssertEqual(try InceptionScore(probabilities: collapsed).mean, 1, accuracy: 1e-12)
        let uniform = Tensor(repeating: 0.25, shape: [8, c])
        XCTAssertEqual(try InceptionScore(probabilities: uniform).mean, 1, accuracy: 1e-12)
    }

    func testHistogramAndAccuracy() throws {
        let probabilities = Tensor(shape: [5, 3], scalars: [
            0.7, 0.2, 0.1,
            0.1, 0.8, 0.1,
            0.4, 0.4, 0.2,   // a tie goes to the first class
            0.1, 0.1, 0.8,
            0.2, 0.5, 0.3,
        ])
        let histogram = try ClassHistogram(probabilities: probabilities)
        XCTAssertEqual(histogram.counts, [2, 2, 1])
        XCTAssertEqual(histogram.fractions, [0.4, 0.4, 0.2])
        XCTAssertEqual(try ClassHistogram(labels: [2, 2, 0], classCount: 4).counts, [1, 0, 2, 0])

        let accuracy = try ClassifierAccuracy(probabilities: probabilities, labels: [0, 1, 1, 2, 0])
        XCTAssertEqual(accuracy.correct, 3)
        XCTAssertEqual(accuracy.count, 5)
        XCTAssertEqual(accuracy.value, 0.6)
        XCTAssertEqual(accuracy.countPerClass, [2, 2, 1])
        XCTAssertEqual(accuracy.correctPerClass, [1, 1, 1])
        XCTAssertEqual(accuracy.valuePerClass, [0.5, 0.5, 1])
        let missing = try ClassifierAccuracy(probabilities: probabilities, labels: [0, 0, 0, 0, 0])
        XCTAssertEqual(missing.valuePerClass, [0.4, nil, nil])
    }

    func testBadProbabilitiesAndLabelsAreErrors() {
        let logits = Tensor(shape: [2, 2], scalars: [0.5, 0.5, 2, -1])
        XCTAssertThrowsError(try InceptionScore(probabilities: logits)) { error in
            XCTAssertTrue("\(error)".contains("row 1") && "\(error)".contains("negative"), "\(error)")
        }
        let unnormalised = Tensor(shape: [1, 2], scalars: [0.5, 0.7])
        XCTAssertThrowsError(try ClassHistogram(probabilities: unnormalised)) { error in
            XCTAssertTrue("\(error)".contains("sums to"), "\(error)")
        }
        let probabilities = Tensor(shape: [2, 2], scalars: [1, 0, 0, 1])
        XCTAssertThrowsError(try InceptionScore(probabilities: probabilities, splits: 3)) { error in
            XCTAssertEqual(error as? EvaluationError,
                           .badParameter(name: "splits", value: 3, expected: "1...2 (the sample count)"))
        }
        XCTAssertThrowsError(try ClassifierAccuracy(probabilities: probabilities, labels: [0, 2])) { error in
            XCTAssertEqual(error as? EvaluationError, .labelOutOfRange(index: 1, label: 2, classCount: 2))
        }
        XCTAssertThrowsError(try ClassifierAccuracy(probabilities: probabilities, labels: [0])) { error in
            XCTAssertTrue("\(error)".contains("one label per probability row"), "\(error)")
        }
        XCTAssertThrowsError(try ClassHistogram(labels: [-1], classCount: 3))
    }
}
