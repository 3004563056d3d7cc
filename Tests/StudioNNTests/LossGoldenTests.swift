import XCTest
import StudioCore
import StudioNN

/// Losses against PyTorch 1.13's values and input gradients (Fixtures/losses.json, made by make_fixtures.py).
final class LossGoldenTests: XCTestCase {
    struct Case: Decodable {
        let name: String
        let reduction: String
        let value: Double
        let inputs: [String: FixtureTensor]
        let grads: [String: FixtureTensor]
        let labels: [Int]?
    }

    struct Fixture: Decodable {
        let torchVersion: String
        let cases: [Case]
    }

    /// The loss a fixture case names, applied to `inputs` by their fixture names.
    private func evaluate(_ c: Case, _ inputs: [String: Tensor]) throws -> Tensor {
        let reduction: LossReduction = switch c.reduction {
        case "mean": .mean
        case "sum": .sum
        case "batchmean": .batchMean
        default: throw XCTSkip("unknown reduction \(c.reduction)")
        }
        func input(_ key: String) throws -> Tensor { try XCTUnwrap(inputs[key], "\(c.name): no input \(key)") }
        switch c.name {
        case "binary_cross_entropy":
            return binaryCrossEntropy(logits: try input("logits"), targets: try input("targets"), reduction: reduction)
        case "bernoulli_log_likelihood":
            return bernoulliLogLikelihood(logits: try input("logits"), targets: try input("targets"), reduction: reduction)
        case "cross_entropy":
            return crossEntropy(logits: try input("logits"), labels: try XCTUnwrap(c.labels), reduction: reduction)
        case "mse":
            return mseLoss(predictions: try input("predictions"), targets: try input("targets"), reduction: reduction)
        case "l1":
            return l1Loss(predictions: try input("predictions"), targets: try input("targets"), reduction: reduction)
        case "gaussian_nll", "gaussian_nll_full":
            return gaussianNLLLoss(mean: try input("mean"), logVariance: try input("logVariance"),
                                   targets: try input("targets"), full: c.name.hasSuffix("full"), reduction: reduction)
        case "gaussian_log_likelihood":
            return gaussianLogLikelihood(mean: try input("mean"), logVariance: try input("logVariance"),
                                         targets: try input("targets"), reduction: reduction)
        case "gaussian_kl":
            return gaussianKLDivergence(mean: try input("mean"), logVariance: try input("logVariance"), reduction: reduction)
        default:
            XCTFail("fixture has a loss \(c.name) that this test does not know")
            return Tensor(0)
        }
    }

    func testEveryLossMatchesPyTorch() throws {
        let fixture = try loadFixture("losses", as: Fixture.self)
        XCTAssertTrue(fixture.torchVersion.hasPrefix("1.13"))
        XCTAssertEqual(fixture.cases.count, 19, "eight losses under mean and sum, KL also under batchmean")
        for c in fixture.cases {
            let label = "\(c.name) (\(c.reduction))"
            let names = c.inputs.keys.sorted()
            let leaves = names.map { c.inputs[$0]!.tensor.requiringGradient() }
            let value = try evaluate(c, Dictionary(uniqueKeysWithValues: zip(names, leaves)))
            XCTAssertEqual(Double(value.item), c.value, accuracy: 1e-5 + 1e-5 * Swift.abs(c.value), label)
            let grads = gradients(of: value, withRespectTo: leaves)
            for (name, grad) in zip(names, grads) {
                guard let expected = c.grads[name] else { continue }
                assertClose(grad ?? Tensor(zeros: leaves[names.firstIndex(of: name)!].shape), expected,
                            "\(label) gradient for \(name)")
            }
        }
    }
}
