import Foundation
import XCTest
import CKernels
@testable import StudioCore

final class VectorExpTests: XCTestCase {
    /// Distance in units in the last place between two positive normal floats.
    private func ulps(_ a: Float, _ b: Float) -> Int { abs(Int(a.bitPattern) - Int(b.bitPattern)) }

    func testExpStaysWithinTwoUlpOfTheLibraryAcrossItsRange() {
        var worst = 0
        var x: Float = -87
        while x < 88 {
            worst = max(worst, ulps(VectorExp.exp(x), Foundation.exp(x)))
            x += 0.0037
        }
        XCTAssertLessThanOrEqual(worst, 2)
        let large = VectorExp.exp(1000)
        XCTAssertTrue(large.isFinite && large > 1e38, "large inputs saturate at a finite value")
        XCTAssertEqual(VectorExp.exp(-1000), Foundation.exp(-87.3), accuracy: Float.leastNonzeroMagnitude * 100)
    }

    func testSigmoidAndSiLUMatchTheirDefinitionsAndDoNotDependOnChunking() {
        let values = (0..<1037).map { Float($0 - 518) * 0.041 }
        let x = Tensor(shape: [1037], scalars: values)
        let sigmoid = x.sigmoid().scalars, silu = x.silu().scalars
        for (i, v) in values.enumerated() {
            let exact = 1 / (1 + Foundation.exp(-Double(v)))
            XCTAssertEqual(Double(sigmoid[i]), exact, accuracy: 3e-7 * max(exact, 1e-3))
            XCTAssertEqual(Double(silu[i]), Double(v) * exact, accuracy: 1e-6 * max(abs(Double(v)), 1))
        }
        let tail = Tensor(shape: [21], scalars: Array(values[1016...])).silu().scalars
        XCTAssertEqual(tail, Array(silu[1016...]), "a value's result does not depend on its position")
    }

    func testFusedBackwardsEqualTheRecordedOnes() {
        var generator = RandomGenerator(seed: 4)
        let x = Tensor.randomNormal([3, 50], standardDeviation: 4, using: &generator).requiringGradient()
        let seed = Tensor.randomNormal([3, 50], using: &generator)
        for (name, op) in [("sigmoid", { (t: Tensor) in t.sigmoid() }), ("silu", { (t: Tensor) in t.silu() })] {
            let fused = gradients(of: (op(x) * seed).sum(), withRespectTo: [x])[0]!
            let recorded = gradients(of: (op(x) * seed).sum(), withRespectTo: [x], createGraph: true)[0]!
            XCTAssertTrue(fused.isClose(to: recorded, absolute: 1e-6, relative: 1e-5), name)
        }
    }

    /// The C kernels, in whichever instruction set this processor runs them, within a few ulp of the Swift
    /// kernels for every value, saturated and odd ones included (their exp fuses its multiply-adds, the
    /// Swift one cannot on baseline x86-64), and a value's bits the same for any row length (vector tails).
    func testCKernelsMatchTheSwiftKernelsForAnyRowLength() {
        var values = (0..<4001).map { Float($0 - 2000) * 0.0731 }
        values += [-1000, 1000, -87.3, 88.3, 0, -0, .infinity, -.infinity, .leastNormalMagnitude, 1e-30]
        let g = values.indices.map { Float(($0 * 7919) % 113) / 17 - 3 }
        let (scale, shift): (Float, Float) = (1.37, -0.21)
        /// Within 4 ulp of the larger value, or of `scale` where the result cancels below it.
        func assertClose(_ a: Float, _ b: Float, scale: Float = 0, _ message: String) {
            if a == b || (a.isNaN && b.isNaN) { return }
            XCTAssertLessThanOrEqual(abs(a - b), 4 * Swift.max(abs(a), abs(b), scale).ulp + 1e-37, message)
        }
        var full = [Float](repeating: .nan, count: values.count), fullGradient = full
        var (first, second) = (0.0, 0.0)
        studio_affine_silu(values, &full, values.count, scale, shift)
        studio_affine_silu_gradient_moments(g, values, &fullGradient, values.count, scale, shift, 0, &first, &second)
        for i in values.indices {
            // The kernels' affine map is one fused multiply-add too.
            let z = shift.addingProduct(values[i], scale)
            assertClose(full[i], SiLUKernel()(z), "SiLU at \(z)")
            // s·(1 + z·(1 - s)) cancels near z = -1.28, where SiLU turns.
            assertClose(fullGradient[i], SiLUGradientKernel()(g[i], z), scale: abs(g[i]) * Swift.max(1, abs(z)),
                        "SiLU gradient at \(z)")
        }
        for count in [1, 5, 17, 33] {
            let start = values.count - count
            var y = [Float](repeating: .nan, count: count), dy = y
            studio_affine_silu(Array(values[start...]), &y, count, scale, shift)
            studio_affine_silu_gradient_moments(Array(g[start...]), Array(values[start...]), &dy, count, scale, shift,
                                                0, &first, &second)
            XCTAssertEqual(y.map(\.bitPattern), full[start...].map(\.bitPattern), "SiLU, a row of \(count)")
            XCTAssertEqual(dy.map(\.bitPattern), fullGradient[start...].map(\.bitPattern), "gradient, a row of \(count)")
        }
    }

    /// The SiLU pullback's sums, taken in the same pass, have the bits of a second pass over its result.
    func testSiLUGradientSumsMatchASecondPass() {
        for count in [1, 15, 16, 17, 784, 1001] {
            let x = (0..<count).map { Float(($0 * 37) % 101) / 13 - 4 }
            let g = (0..<count).map { Float(($0 * 53) % 97) / 29 - 1.5 }
            var y = [Float](repeating: .nan, count: count)
            var fused = (3.25, -1.5), separate = fused
            studio_affine_silu_gradient_moments(g, x, &y, count, 0.8, 0.1, 0.37, &fused.0, &fused.1)
            studio_gradient_moments(y, x, count, 0.37, &separate.0, &separate.1)
            XCTAssertEqual(fused.0.bitPattern, separate.0.bitPattern, "Σ g, a row of \(count)")
            XCTAssertEqual(fused.1.bitPattern, separate.1.bitPattern, "Σ g·(x - mean), a row of \(count)")
        }
    }

    /// Softplus within a few ulp of log1p(e^x) in Double everywhere, the far negative side (where
    /// the result is e^x itself and a plain log(1 + u) would give 0) included, down to e^-87.3, where
    /// exp saturates at the smallest normal floats; and its pullback.
    func testSoftplusIsAccurateOnBothSides() {
        let values = (0..<6001).map { Float($0 - 3000) * 0.0297 } + [-100, -87, -30, 30, 100, 0]
        let y = Tensor(shape: [values.count], scalars: values).softplus().scalars
        for (i, v) in values.enumerated() {
            let exact = Double(v) > 0 ? Double(v) + Foundation.log1p(Foundation.exp(-Double(v)))
                                      : Foundation.log1p(Foundation.exp(Double(v)))
            XCTAssertEqual(Double(y[i]), exact, accuracy: Swift.max(4e-7 * exact, 1.25e-38), "softplus(\(v))")
        }
        let x = Tensor(shape: [values.count], scalars: values).requiringGradient()
        let seed = Tensor(shape: [values.count], scalars: values.map { $0 * 0.1 + 1 })
        let fused = gradients(of: (x.softplus() * seed).sum(), withRespectTo: [x])[0]!
        XCTAssertTrue(fused.isClose(to: seed * x.sigmoid(), absolute: 1e-7, relative: 1e-6))
    }
}
