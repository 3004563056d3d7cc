import XCTest
@testable import StudioCore

/// Softmax: values, a row of the gradient-check table, and second derivatives through its pullback.
final class SoftmaxTests: XCTestCase {
    func testValuesSumToOneAndSurviveLargeLogits() {
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 1000, 1000, -1000])
        let y = x.softmax()
        let e1 = Foundation.exp(Float(1)), e2 = Foundation.exp(Float(2)), e3 = Foundation.exp(Float(3))
        let total = e1 + e2 + e3
        XCTAssertTrue(y.isClose(to: Tensor(shape: [2, 3], scalars: [e1 / total, e2 / total, e3 / total, 0.5, 0.5, 0])))
    }

    func testWideRowsMatchDoublePrecisionAndMaskedLogitsWeighNothing() {
        // 37 values: two blocks of sixteen lanes and a tail, the maximum in the tail, one masked logit.
        var generator = RandomGenerator(seed: 9)
        var row = Tensor.randomUniform([37], lower: -6, upper: 6, using: &generator).scalars
        row[35] = 9
        row[4] = -.infinity
        let y = Tensor(shape: [2, 37], scalars: row + row.map { $0 - 50 }).softmax().scalars
        let exps = row.map { Foundation.exp(Double($0) - 9) }
        let total = exps.reduce(0, +)
        for (j, e) in exps.enumerated() {
            XCTAssertEqual(Double(y[j]), e / total, accuracy: 2e-7, "position \(j)")
            // Shifting a row by a constant leaves its softmax as it was, up to rounding of the shift.
            XCTAssertEqual(y[37 + j], y[j], accuracy: 2e-6, "shifted row, position \(j)")
        }
        XCTAssertEqual(y[4], 0)
        XCTAssertEqual(y[37 + 4], 0)
    }

    func testGradientCheck() {
        var generator = RandomGenerator(seed: 5)
        let x = Tensor.randomUniform([2, 3, 5], lower: -2, upper: 2, using: &generator)
        let weights = Tensor.randomUniform([2, 3, 5], lower: -1, upper: 1, using: &generator)
        let report = checkGradients(of: { ($0[0].softmax() * weights).sum() }, at: [x])
        XCTAssertLessThan(report.maxError, 1e-2, "softmax: \(report)")
    }

    func testSecondDerivativeThroughThePullback() {
        var generator = RandomGenerator(seed: 6)
        let x = Tensor.randomUniform([4], lower: -1, upper: 1, using: &generator)
        let weights = Tensor.randomUniform([4], lower: -1, upper: 1, using: &generator)
        // d/dx of |d(softmax·w)/dx|², checked against central differences of the first derivative.
        let report = checkGradients(of: { inputs in
            let leaf = inputs[0]
            let first = gradients(of: (leaf.softmax() * weights).sum(), withRespectTo: [leaf], createGraph: true)[0]!
            return first.squared().sum()
        }, at: [x])
        XCTAssertLessThan(report.maxError, 1e-2, "softmax second derivative: \(report)")
    }
}
