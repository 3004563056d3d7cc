import XCTest
import StudioCore
import StudioOptim

/// Export and import of optimizer state: a restored optimizer continues bit-exactly.
final class OptimizerStateTests: XCTestCase {
    func testRestoredOptimizerContinuesBitExactly() throws {
        let fixture = try OptimizerFixture.load()
        for testCase in fixture.optimizers {
            let original = fixture.makeParameters()
            let optimizer = testCase.makeOptimizer(original)
            for index in 0..<2 {
                fixture.setGradients(step: index, original)
                optimizer.step()
            }
            let exported = optimizer.stateTensors()

            let restoredParameters = original.map { (name: $0.name, parameter: Parameter($0.parameter.value.detached())) }
            let restored = testCase.makeOptimizer(restoredParameters)
            try restored.loadState(exported)
            XCTAssertEqual(restored.stateTensors().mapValues(\.scalars), exported.mapValues(\.scalars), testCase.name)

            for parameters in [original, restoredParameters] { fixture.setGradients(step: 2, parameters) }
            optimizer.step()
            restored.step()
            for (a, b) in zip(original, restoredParameters) {
                XCTAssertEqual(a.parameter.value.scalars, b.parameter.value.scalars, "\(testCase.name) \(a.name)")
            }
            XCTAssertEqual(restored.stateTensors().mapValues(\.scalars), optimizer.stateTensors().mapValues(\.scalars),
                           testCase.name)

            let fresh = testCase.makeOptimizer(fixture.makeParameters())
            XCTAssertNotEqual(fresh.stateTensors().mapValues(\.scalars), exported.mapValues(\.scalars),
                              "\(testCase.name): two steps leave state a fresh optimizer lacks")
        }
    }

    func testStateKeysNameParametersAndSlots() {
        let parameters = [(name: "layer.weight", parameter: Parameter(Tensor(zeros: [2, 3]))),
                          (name: "layer.bias", parameter: Parameter(Tensor(zeros: [2])))]
        XCTAssertEqual(Set(Adam(parameters: parameters).stateTensors().keys),
                       ["layer.weight.step", "layer.weight.exp_avg", "layer.weight.exp_avg_sq",
                        "layer.bias.step", "layer.bias.exp_avg", "layer.bias.exp_avg_sq"])
        XCTAssertEqual(Set(SGD(parameters: parameters, learningRate: 0.1).stateTensors().keys),
                       ["layer.weight.step", "layer.bias.step"])
        XCTAssertEqual(Set(RMSprop(parameters: parameters, momentum: 0.9, centered: true).stateTensors().keys),
                       ["layer.weight.step", "layer.weight.square_avg", "layer.weight.momentum_buffer",
                        "layer.weight.grad_avg", "layer.bias.step", "layer.bias.square_avg",
                        "layer.bias.momentum_buffer", "layer.bias.grad_avg"])
        let state = AdaGrad(parameters: parameters, initialAccumulatorValue: 0.5).stateTensors()
        XCTAssertEqual(state["layer.weight.sum"]?.shape, [2, 3])
        XCTAssertEqual(state["layer.weight.sum"]?.scalars, [Float](repeating: 0.5, count: 6))
        XCTAssertEqual(state["layer.bias.step"]?.shape, [])
    }

    func testImportErrorsNameEveryBadKey() {
        let parameters = [(name: "w", parameter: Parameter(Tensor(zeros: [2, 2]))),
                          (name: "b", parameter: Parameter(Tensor(zeros: [2])))]
        let optimizer = Adam(parameters: parameters)
        for (_, p) in parameters { p.grad = Tensor(ones: p.shape) }
        optimizer.step()
        let before = optimizer.stateTensors()

        var broken = before
        broken["b.exp_avg"] = nil
        broken["extra.exp_avg"] = Tensor(zeros: [2])
        broken["w.exp_avg_sq"] = Tensor(zeros: [4])
        broken["w.step"] = Tensor(1.5)
        XCTAssertThrowsError(try optimizer.loadState(broken)) { error in
            guard let error = error as? StateLoadingError else { return XCTFail("unexpected error \(error)") }
            XCTAssertEqual(error.owner, "Adam")
            XCTAssertEqual(error.missingKeys, ["b.exp_avg"])
            XCTAssertEqual(error.unexpectedKeys, ["extra.exp_avg"])
            XCTAssertEqual(error.wrongShapes.map(\.key), ["w.exp_avg_sq"])
            XCTAssertEqual(error.wrongShapes.first?.expected, [2, 2])
            XCTAssertEqual(error.wrongShapes.first?.found, [4])
            XCTAssertEqual(error.invalidCounters, ["w.step"])
            for name in ["b.exp_avg", "extra.exp_avg", "w.exp_avg_sq", "[2, 2]", "w.step"] {
                XCTAssertTrue(error.description.contains(name), "\(error) should name \(name)")
            }
        }
        XCTAssertEqual(optimizer.stateTensors().mapValues(\.scalars), before.mapValues(\.scalars),
                       "a failed import changes nothing")

        var negative = before
        negative["b.step"] = Tensor(-1)
        XCTAssertThrowsError(try optimizer.loadState(negative)) { error in
            XCTAssertEqual((error as? StateLoadingError)?.invalidCounters, ["b.step"])
        }
    }

    func testStateOfAnotherConfigurationIsRejected() {
        let parameter = [(name: "w", parameter: Parameter(Tensor(zeros: [3])))]
        let centered = RMSprop(parameters: parameter, centered: true).stateTensors()
        XCTAssertThrowsError(try RMSprop(parameters: parameter).loadState(centered)) { error in
            XCTAssertEqual((error as? StateLoadingError)?.unexpectedKeys, ["w.grad_avg"])
        }
        let plain = SGD(parameters: parameter, learningRate: 0.1).stateTensors()
        XCTAssertThrowsError(try SGD(parameters: parameter, learningRate: 0.1, momentum: 0.9).loadState(plain)) { error in
            XCTAssertEqual((error as? StateLoadingError)?.missingKeys, ["w.momentum_buffer"])
        }
    }
}
