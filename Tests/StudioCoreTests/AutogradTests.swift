import XCTest
@testable import StudioCore

final class AutogradTests: XCTestCase {
    func testBackwardAccumulatesIntoLeaves() {
        let x = Tensor([1, 2, 3]).requiringGradient()
        (x * x).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [2, 4, 6])
        (x * 3).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [5, 7, 9], "a second backward adds to the first")
        x.grad = nil
        XCTAssertNil(x.grad)
    }

    func testSharedSubexpressionSumsBothPaths() {
        let x = Tensor([2]).requiringGradient()
        let y = x * x
        (y + y * x).sum().backward()
        // d/dx (x² + x³) = 2x + 3x² = 16 at x = 2.
        XCTAssertEqual(x.grad?.scalars, [16])
    }

    func testNoGradientModeRecordsNothing() {
        let x = Tensor([1, 2]).requiringGradient()
        let y = withoutGradients { x * 2 }
        XCTAssertFalse(y.requiresGradient)
        XCTAssertTrue((x * 2).requiresGradient)
        XCTAssertFalse((x * 2).detached().requiresGradient)
        XCTAssertTrue(withoutGradients { withGradients { x * 2 } }.requiresGradient)
    }

    func testGradientsOfIntermediateWithoutTouchingLeaves() {
        let x = Tensor([1, -2]).requiringGradient()
        let h = x * 3
        let out = (h * h).sum()
        let g = gradients(of: out, withRespectTo: [h, x])
        XCTAssertEqual(g[0]?.scalars, [6, -12])
        XCTAssertEqual(g[1]?.scalars, [18, -36])
        XCTAssertNil(x.grad)
    }

    func testCreateGraphGivesSecondDerivative() {
        let x = Tensor([3]).requiringGradient()
        let y = (x * x * x).sum()
        let dy = gradients(of: y, withRespectTo: [x], createGraph: true)[0]!
        XCTAssertEqual(dy.scalars, [27])
        XCTAssertTrue(dy.requiresGradient)
        dy.sum().backward()
        XCTAssertEqual(x.grad?.scalars, [18])
    }

    func testBackwardWithRespectToChosenLeavesLeavesOthersAlone() {
        let x = Tensor([1, -2]).requiringGradient(), w = Tensor([3, 4]).requiringGradient()
        let other = Tensor([0.5, 2]).requiringGradient()
        func loss() -> Tensor { ((x * w).tanh() * other + x * x).sum() }
        loss().backward()
        let full = (x.grad!, other.grad!)
        x.grad = nil
        w.grad = nil
        other.grad = nil
        loss().backward(withRespectTo: [x, other])
        XCTAssertEqual(x.grad?.scalars, full.0.scalars)
        XCTAssertEqual(other.grad?.scalars, full.1.scalars)
        XCTAssertNil(w.grad, "w was not asked for")
        loss().backward(withRespectTo: [x])
        XCTAssertEqual(x.grad?.scalars, (full.0 + full.0).scalars, "accumulates like backward()")
    }

    func testAccumulatedGradientDoesNotAlterSharedContributions() {
        // Both operands of the add get the very same gradient storage; summing into one of them
        // in place must not change the other.
        let x = Tensor([1, 2]).requiringGradient()
        let y = x + x
        let z = (y + x).sum()
        let g = gradients(of: z, withRespectTo: [y, x])
        XCTAssertEqual(g[0]?.scalars, [1, 1])
        XCTAssertEqual(g[1]?.scalars, [3, 3])
    }
}
