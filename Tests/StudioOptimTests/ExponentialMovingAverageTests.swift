import XCTest
import StudioCore
import StudioOptim

/// The moving average against hand-computed values, its swap into the model, and its state.
final class ExponentialMovingAverageTests: XCTestCase {
    func testAverageFollowsTheFormula() {
        let p = Parameter(Tensor([1, 2]))
        let ema = ExponentialMovingAverage(parameters: [(name: "p", parameter: p)], decay: 0.5)
        p.assign(Tensor([3, 4]))
        ema.update()
        XCTAssertEqual(ema.averagedValues.first?.value.scalars, [2, 3])
        p.assign(Tensor([5, 0]))
        ema.update()
        XCTAssertEqual(ema.averagedValues.first?.value.scalars, [3.5, 1.5])
        XCTAssertEqual(ema.averagedValues.first?.name, "p")
        XCTAssertEqual(ema.updateCount, 2)
    }

    func testWarmupUsesTheSmallerDecayEarly() {
        let p = Parameter(Tensor([0]))
        let ema = ExponentialMovingAverage(parameters: [p], decay: 0.9, warmup: true)
        // Decays 1/10, 2/11, 3/12 give 0.1·0 + 0.9·10 = 9, (2·9 + 9·20)/11 = 18, 0.25·18 + 0.75·30 = 27.
        for (value, expected) in [(10, 9), (20, 18), (30, 27)] as [(Float, Float)] {
            p.assign(Tensor([value]))
            ema.update()
            XCTAssertEqual(ema.averagedValues[0].value.item, expected, accuracy: 1e-5)
        }
        while ema.updateCount < 100 { ema.update() }
        XCTAssertEqual(ema.currentDecay, 0.9, "the warm-up decay passes 0.9 after 80 updates")
        XCTAssertEqual(ExponentialMovingAverage(parameters: [p], decay: 0.9).currentDecay, 0.9)
    }

    func testAveragedValuesAreSwappedInAndBack() throws {
        let p = Parameter(Tensor([1, 1]))
        let ema = ExponentialMovingAverage(parameters: [p], decay: 0.5)
        p.assign(Tensor([3, 5]))
        ema.update()
        let seen = ema.withAveragedParameters { p.value.scalars }
        XCTAssertEqual(seen, [2, 3])
        XCTAssertEqual(p.value.scalars, [3, 5], "trained values return after sampling")

        struct Interrupted: Error {}
        XCTAssertThrowsError(try ema.withAveragedParameters { throw Interrupted() })
        XCTAssertEqual(p.value.scalars, [3, 5], "trained values return when the body throws")

        ema.copyAveragedValuesToParameters()
        XCTAssertEqual(p.value.scalars, [2, 3])
        XCTAssertTrue(p.value.requiresGradient, "the parameter stays a leaf")
    }

    func testRestoredAverageContinuesBitExactly() throws {
        let p = Parameter(Tensor(shape: [2, 2], scalars: [0.1, -0.7, 2.3, 1.9]))
        let q = Parameter(Tensor([0.3]))
        let named = [(name: "net.w", parameter: p), (name: "net.b", parameter: q)]
        let ema = ExponentialMovingAverage(parameters: named, decay: 0.99, warmup: true)
        for step in 1...2 {
            p.assign(p.value.detached() * Float(step) + 0.37)
            q.assign(q.value.detached() - 0.11)
            ema.update()
        }
        let state = ema.stateTensors()
        XCTAssertEqual(Set(state.keys), ["net.w", "net.b", "update_count"])
        XCTAssertEqual(state["update_count"]?.item, 2)

        let restored = ExponentialMovingAverage(parameters: named, decay: 0.99, warmup: true)
        try restored.loadState(state)
        XCTAssertEqual(restored.updateCount, 2)
        p.assign(p.value.detached() * 1.5)
        ema.update()
        restored.update()
        XCTAssertEqual(restored.averagedValues.map(\.value.scalars), ema.averagedValues.map(\.value.scalars))
        XCTAssertNotEqual(restored.averagedValues.map(\.value.scalars), [p.value.scalars, q.value.scalars])
    }

    func testImportErrorsNameTheKeys() {
        let ema = ExponentialMovingAverage(parameters: [(name: "w", parameter: Parameter(Tensor([1, 2])))])
        XCTAssertThrowsError(try ema.loadState(["w": Tensor([1, 2, 3]), "v": Tensor([1])])) { error in
            guard let error = error as? StateLoadingError else { return XCTFail("unexpected error \(error)") }
            XCTAssertEqual(error.owner, "ExponentialMovingAverage")
            XCTAssertEqual(error.missingKeys, ["update_count"])
            XCTAssertEqual(error.unexpectedKeys, ["v"])
            XCTAssertEqual(error.wrongShapes.map(\.key), ["w"])
        }
        XCTAssertEqual(ema.averagedValues[0].value.scalars, [1, 2], "a failed import changes nothing")
    }
}
