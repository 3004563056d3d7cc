import XCTest
import StudioCore
import StudioNN

/// Names, loading and saving of module state, PyTorch's `state_dict` conventions.
final class ModuleStateTests: XCTestCase {
    private func keys(_ module: any Module) -> [String] { module.stateTensors().map(\.0) }

    func testSequentialNumbersEveryLayerLikePyTorch() {
        var g = RandomGenerator(seed: 1)
        let model = Sequential {
            Linear(inputSize: 3, outputSize: 4, using: &g)
            ReLU()
            BatchNorm1d(featureCount: 4)
            Sequential([Dropout(probability: 0.1), Linear(inputSize: 4, outputSize: 2, bias: false, using: &g)])
            LayerNorm(shape: [2])
            GroupNorm(groupCount: 1, channelCount: 2)
        }
        XCTAssertEqual(keys(model), [
            "0.weight", "0.bias",
            "2.weight", "2.bias", "2.running_mean", "2.running_var", "2.num_batches_tracked",
            "3.1.weight",
            "4.weight", "4.bias",
            "5.weight", "5.bias",
        ])
        XCTAssertEqual(model.namedParameters.map(\.name),
                       ["0.weight", "0.bias", "2.weight", "2.bias", "3.1.weight", "4.weight", "4.bias", "5.weight", "5.bias"])
        XCTAssertEqual(model.namedBuffers.map(\.name), ["2.running_mean", "2.running_var", "2.num_batches_tracked"])
    }

    func testStateRoundTripsIntoAFreshModule() throws {
        var g = RandomGenerator(seed: 2)
        func make(_ g: inout RandomGenerator) -> Sequential {
            Sequential { Linear(inputSize: 3, outputSize: 4, using: &g); BatchNorm1d(featureCount: 4) }
        }
        let source = make(&g), target = make(&g)
        _ = source(Tensor.randomNormal([5, 3], using: &g), context: ForwardContext(training: true))
        XCTAssertNotEqual(source.stateTensors()[0].1.scalars, target.stateTensors()[0].1.scalars)

        try target.loadState(Dictionary(uniqueKeysWithValues: source.stateTensors()))
        for ((name, a), (_, b)) in zip(source.stateTensors(), target.stateTensors()) {
            XCTAssertEqual(a.shape, b.shape, name)
            XCTAssertEqual(a.scalars, b.scalars, name)
        }
        XCTAssertEqual(target.stateTensors().last?.1.item, 1, "num_batches_tracked was loaded")
        XCTAssertTrue(try XCTUnwrap(target.parameters.first).value.requiresGradient, "a loaded parameter stays trainable")
    }

    func testLoadStateReportsEveryDifferenceAtOnceAndChangesNothing() {
        var g = RandomGenerator(seed: 3)
        let model = Sequential { Linear(inputSize: 3, outputSize: 2, using: &g); BatchNorm1d(featureCount: 2) }
        var tensors = Dictionary(uniqueKeysWithValues: model.stateTensors())
        let before = model.stateTensors()
        tensors["0.weight"] = Tensor(zeros: [3, 2])
        tensors["1.bias"] = Tensor(ones: [2])
        tensors["1.running_var"] = nil
        tensors["2.weight"] = Tensor(zeros: [1])
        tensors["1.extra"] = Tensor(zeros: [1])

        XCTAssertThrowsError(try model.loadState(tensors)) { error in
            guard let error = error as? StateLoadingError else { return XCTFail("wrong error type \(error)") }
            XCTAssertEqual(error.missingKeys, ["1.running_var"])
            XCTAssertEqual(error.unexpectedKeys, ["1.extra", "2.weight"])
            XCTAssertEqual(error.shapeMismatches, [.init(key: "0.weight", expected: [2, 3], found: [3, 2])])
            let message = error.description
            for fragment in ["missing keys: 1.running_var", "unexpected keys: 1.extra, 2.weight",
                             "shape mismatch for 0.weight: module has [2, 3], tensors have [3, 2]"] {
                XCTAssertTrue(message.contains(fragment), "message lacks \"\(fragment)\":\n\(message)")
            }
        }
        for ((name, a), (_, b)) in zip(before, model.stateTensors()) {
            XCTAssertEqual(a.scalars, b.scalars, "\(name) changed although loading failed")
        }
    }

    func testStateTensorsAreDetachedCopies() {
        var g = RandomGenerator(seed: 4)
        let layer = Linear(inputSize: 2, outputSize: 2, using: &g)
        let saved = layer.stateTensors()
        XCTAssertFalse(saved[0].1.requiresGradient)
        layer.weight.assign(Tensor(zeros: [2, 2]))
        XCTAssertNotEqual(saved[0].1.scalars, [0, 0, 0, 0], "a saved tensor must not follow later updates")
    }
}
