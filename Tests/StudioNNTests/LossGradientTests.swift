import XCTest
import StudioCore
import StudioNN

/// One row per loss and reduction: central differences in Double against autograd, every input.
final class LossGradientTests: XCTestCase {
    private var generator = RandomGenerator(seed: 13)

    private func random(_ shape: Shape, lower: Float = -1, upper: Float = 1) -> Tensor {
        Tensor.randomUniform(shape, lower: lower, upper: upper, using: &generator)
    }

    private func assertGradients(_ name: String, _ inputs: [Tensor], file: StaticString = #filePath,
                                 line: UInt = #line, _ f: @escaping ([Tensor]) -> Tensor) {
        let report = checkGradients(of: f, at: inputs)
        XCTAssertLessThan(report.maxError, 1e-2, "\(name): \(report)", file: file, line: line)
    }

    func testEveryLoss() {
        let logits = random([3, 4], lower: -4, upper: 4), probabilities = random([3, 4], lower: 0, upper: 1)
        // Far apart, so that no step crosses a kink of |x|.
        let a = Tensor(shape: [2, 3], scalars: [-1.5, 0.5, 2, -0.3, 1.1, 0.8])
        let b = Tensor(shape: [2, 3], scalars: [0.4, -0.6, 1, 0.7, -0.2, 1.9])
        let logVariance = random([2, 3], lower: -1, upper: 1)
        for reduction in [LossReduction.mean, .sum, .batchMean, .none] {
            let r = "\(reduction)"
            assertGradients("binaryCrossEntropy \(r)", [logits, probabilities]) {
                binaryCrossEntropy(logits: $0[0], targets: $0[1], reduction: reduction)
            }
            assertGradients("bernoulliLogLikelihood \(r)", [logits, probabilities]) {
                bernoulliLogLikelihood(logits: $0[0], targets: $0[1], reduction: reduction)
            }
            assertGradients("crossEntropy \(r)", [logits]) {
                crossEntropy(logits: $0[0], labels: [3, 0, 2], reduction: reduction)
            }
            assertGradients("mseLoss \(r)", [a, b]) { mseLoss(predictions: $0[0], targets: $0[1], reduction: reduction) }
            assertGradients("l1Loss \(r)", [a, b]) { l1Loss(predictions: $0[0], targets: $0[1], reduction: reduction) }
            assertGradients("gaussianNLLLoss \(r)", [a, logVariance, b]) {
                gaussianNLLLoss(mean: $0[0], logVariance: $0[1], targets: $0[2], full: true, reduction: reduction)
            }
            assertGradients("gaussianLogLikelihood \(r)", [a, logVariance, b]) {
                gaussianLogLikelihood(mean: $0[0], logVariance: $0[1], targets: $0[2], reduction: reduction)
            }
            assertGradients("gaussianKLDivergence \(r)", [a, logVariance]) {
                gaussianKLDivergence(mean: $0[0], logVariance: $0[1], reduction: reduction)
            }
        }
    }

    func testReductionShapes() {
        let x = random([4, 3]), y = random([4, 3])
        XCTAssertEqual(mseLoss(predictions: x, targets: y, reduction: .none).shape, [4, 3])
        XCTAssertEqual(crossEntropy(logits: x, labels: [0, 1, 2, 0], reduction: .none).shape, [4])
        let terms = mseLoss(predictions: x, targets: y, reduction: .none)
        XCTAssertEqual(mseLoss(predictions: x, targets: y, reduction: .batchMean).item, terms.sum().item / 4, accuracy: 1e-5)
        XCTAssertEqual(mseLoss(predictions: x, targets: y, reduction: .mean).item, terms.sum().item / 12, accuracy: 1e-5)
    }
}
