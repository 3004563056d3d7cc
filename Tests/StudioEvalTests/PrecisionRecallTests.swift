import StudioCore
import StudioEval
import XCTest

final class PrecisionRecallTests: XCTestCase {
    func testMatchesReferenceImplementation() throws {
        let fixture = try MetricsFixture.load()
        let real = fixture.precisionReal.tensor, generated = fixture.precisionGenerated.tensor
        let whole = try PrecisionRecall(real: real, generated: generated)
        XCTAssertEqual(whole.precision, fixture.precision, accuracy: 1e-12)
        XCTAssertEqual(whole.recall, fixture.recall, accuracy: 1e-12)
        XCTAssertEqual(whole.neighbours, 3)
        // Blocks that do not divide the row counts give the same answer.
        XCTAssertEqual(try PrecisionRecall(real: real, generated: generated, rowsPerBlock: 7), whole)
        XCTAssertEqual(try PrecisionRecall(real: real, generated: generated, rowsPerBlock: 1), whole)
    }

    func testKnownAnswersOnSyntheticGaussians() throws {
        let real = gaussianFeatures(120, 8, seed: 1)
        let same = try PrecisionRecall(real: real, generated: real)
        XCTAssertEqual(same.precision, 1)
        XCTAssertEqual(same.recall, 1)

        let twin = try PrecisionRecall(real: real, generated: gaussianFeatures(120, 8, seed: 2))
        XCTAssertGreaterThan(twin.precision, 0.6)
        XCTAssertGreaterThan(twin.recall, 0.6)

        let far = try PrecisionRecall(real: real, generated: gaussianFeatures(100, 8, seed: 3, shift: 50))
        XCTAssertEqual(far.precision, 0)
        XCTAssertEqual(far.recall, 0)

        // Samples from a tight core of the real cloud are realistic but cover little of it.
        let core = Tensor(shape: [40, 8], scalars: Array(gaussianFeatures(40, 8, seed: 4, scale: 0.2).scalars))
        let collapsed = try PrecisionRecall(real: real, generated: core)
        XCTAssertGreaterThan(collapsed.precision, 0.9)
        XCTAssertLessThan(collapsed.recall, 0.3)
        // Mode dropping: the real set has two far-apart modes, the generated set is the real rows of
        // one of them. Every sample is real, and exactly the dropped mode goes unrecalled.
        let modes = Tensor(shape: [120, 8], scalars: gaussianFeatures(60, 8, seed: 5).scalars
                           + gaussianFeatures(60, 8, seed: 6, shift: 10).scalars)
        let oneMode = Tensor(shape: [60, 8], scalars: Array(modes.scalars[0..<(60 * 8)]))
        let dropped = try PrecisionRecall(real: modes, generated: oneMode)
        XCTAssertEqual(dropped.precision, 1)
        XCTAssertEqual(dropped.recall, 0.5)
    }

    func testBadInputIsAnError() {
        let real = gaussianFeatures(10, 3, seed: 1)
        XCTAssertThrowsError(try PrecisionRecall(real: real, generated: gaussianFeatures(3, 3, seed: 2))) { error in
            XCTAssertEqual(error as? EvaluationError, .tooFewRows(
                argument: "generated features", count: 3, minimum: 4,
                reason: "a 3-nearest-neighbour radius needs 3 other points"))
        }
        XCTAssertThrowsError(try PrecisionRecall(real: real, generated: gaussianFeatures(10, 4, seed: 2))) { error in
            XCTAssertTrue("\(error)".contains("[M, 3] like the real features"), "\(error)")
        }
        XCTAssertThrowsError(try PrecisionRecall(real: real, generated: real, neighbours: 0))
        XCTAssertThrowsError(try PrecisionRecall(real: real, generated: real, rowsPerBlock: 0))
    }
}
