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

    /// The C kernels, in whichever instruction set this processor runs them, give the Swift kernels'
    /// bits for every value, saturated and odd ones included, and for any row length (vector tails).
    func testCKernelsGiveTheSwiftKernelsBits() {
        var values = (0..<4001).map { Float($0 - 2000) * 0.0731 }
        values += [-1000, 1000, -87.3, 88.3, 0, -0, .infinity, -.infinity, .leastNormalMagnitude, 1e-30]
        let g = values.indices.map { Float(($0 * 7919) % 113) / 17 - 3 }
        let (scale, shift): (Float, Float) = (1.37, -0.21)
        for count in [values.count, 1, 5, 17, 33] {
            var y = [Float](repeating: .nan, count: count), dy = y
            studio_affine_silu(values, &y, count, scale, shift)
            studio_affine_silu_gradient(g, values, &dy, count, scale, shift)
            for i in 0..<count {
                let z = values[i] * scale + shift
                XCTAssertEqual(y[i].bitPattern, SiLUKernel()(z).bitPattern, "SiLU at \(z)")
                XCTAssertEqual(dy[i].bitPattern, SiLUGradientKernel()(g[i], z).bitPattern, "SiLU gradient at \(z)")
            }
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
