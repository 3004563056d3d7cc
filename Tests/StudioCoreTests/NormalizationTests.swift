import CKernels
import XCTest
@testable import StudioCore

/// The fused batch-norm op against the same formula in composite ops, in value, statistics and both
/// kinds of pullback.
final class NormalizationTests: XCTestCase {
    private var generator = RandomGenerator(seed: 3)

    private func composite(_ x: Tensor, _ w: Tensor, _ b: Tensor, epsilon: Float) -> Tensor {
        let axes = [0] + Array(2..<x.rank)
        let stat = Shape([1, x.shape[1]] + [Int](repeating: 1, count: x.rank - 2))
        let centered = x - x.mean(alongAxes: axes, keepingDimensions: true)
        let variance = centered.squared().mean(alongAxes: axes, keepingDimensions: true)
        return centered / (variance + epsilon).sqrt() * w.reshaped(to: stat) + b.reshaped(to: stat)
    }

    func testMatchesCompositeFormulaInValueStatisticsAndGradients() {
        // [3, 2, 7, 9]: 63 positions a channel, four runs of the moment kernels' 16 lanes and a tail.
        for shape: Shape in [[5, 3], [4, 3, 5], [3, 2, 3, 5], [3, 2, 7, 9]] {
            let channels = shape[1]
            let x = Tensor.randomNormal(shape, mean: 0.5, standardDeviation: 2, using: &generator).requiringGradient()
            let w = Tensor.randomUniform([channels], lower: 0.5, upper: 1.5, using: &generator).requiringGradient()
            let b = Tensor.randomUniform([channels], lower: -1, upper: 1, using: &generator).requiringGradient()
            let seed = Tensor.randomNormal(shape, using: &generator)
            let (fused, statistics) = x.batchNormalized(weight: w, bias: b, epsilon: 1e-5)
            let reference = composite(x, w, b, epsilon: 1e-5)
            XCTAssertTrue(fused.isClose(to: reference, absolute: 1e-5, relative: 1e-4), "\(shape) value")

            let axes = [0] + Array(2..<shape.rank)
            let count = Float(shape.elementCount / channels)
            let mean = x.detached().mean(alongAxes: axes)
            let variance = x.detached().variance(alongAxes: axes)
            XCTAssertTrue(statistics.mean.isClose(to: mean, absolute: 1e-5), "\(shape) mean")
            XCTAssertTrue(statistics.variance.isClose(to: variance, absolute: 1e-5), "\(shape) variance")
            XCTAssertTrue(statistics.unbiasedVariance.isClose(to: variance * (count / (count - 1)), absolute: 1e-5))
            XCTAssertFalse(statistics.mean.requiresGradient)

            let first = gradients(of: fused, withRespectTo: [x, w, b], seed: seed)
            let expected = gradients(of: reference, withRespectTo: [x, w, b], seed: seed)
            // createGraph takes the recorded formula instead of the fused kernels.
            let recorded = gradients(of: fused, withRespectTo: [x, w, b], seed: seed, createGraph: true)
            for i in 0..<3 {
                XCTAssertTrue(first[i]!.isClose(to: expected[i]!, absolute: 1e-4, relative: 1e-3), "\(shape) fused grad \(i)")
                XCTAssertTrue(recorded[i]!.isClose(to: expected[i]!, absolute: 1e-4, relative: 1e-3), "\(shape) recorded grad \(i)")
            }
        }
    }

    func testWeightAndBiasGradientsWithoutInputGradient() {
        let x = Tensor.randomNormal([4, 2, 3], using: &generator)
        let w = Tensor([0.7, 1.3]).requiringGradient(), b = Tensor([0.1, -0.2]).requiringGradient()
        let g = gradients(of: x.batchNormalized(weight: w, bias: b, epsilon: 1e-5).output.squared().sum(),
                          withRespectTo: [w, b])
        let e = gradients(of: composite(x, w, b, epsilon: 1e-5).squared().sum(), withRespectTo: [w, b])
        XCTAssertTrue(g[0]!.isClose(to: e[0]!, absolute: 1e-4, relative: 1e-3))
        XCTAssertTrue(g[1]!.isClose(to: e[1]!, absolute: 1e-4, relative: 1e-3))
    }

    func testNormalizedRowsMatchCompositeFormula() {
        let x = Tensor.randomNormal([3, 4, 5], mean: 1, standardDeviation: 3, using: &generator).requiringGradient()
        let seed = Tensor.randomNormal([3, 4, 5], using: &generator)
        let rows = x.reshaped(to: [6, 10])
        let centered = rows - rows.mean(alongAxes: [1], keepingDimensions: true)
        let reference = (centered / (centered.squared().mean(alongAxes: [1], keepingDimensions: true) + 1e-5).sqrt())
            .reshaped(to: [3, 4, 5])
        let fused = x.normalized(rowCount: 6, epsilon: 1e-5)
        XCTAssertTrue(fused.isClose(to: reference, absolute: 1e-5, relative: 1e-4))
        let g = gradients(of: fused, withRespectTo: [x], seed: seed)[0]!
        XCTAssertTrue(g.isClose(to: gradients(of: reference, withRespectTo: [x], seed: seed)[0]!, absolute: 1e-4, relative: 1e-3))
        // One value per row normalises to zero, as the composite formula gives.
        let single = Tensor([3, -1]).normalized(rowCount: 2, epsilon: 1e-5)
        XCTAssertTrue(single.isClose(to: Tensor([0, 0]), absolute: 1e-3), "\(single)")
        let statistics = Tensor(shape: [1, 2], scalars: [3, -1])
            .batchNormalized(weight: Tensor([1, 1]), bias: Tensor([0, 0]), epsilon: 1e-5).statistics
        XCTAssertEqual(statistics.variance.scalars, [0, 0])
        XCTAssertTrue(statistics.unbiasedVariance.scalars.allSatisfy(\.isNaN), "no unbiased variance of one value")
    }

    /// Values far from zero with a small spread: a one-pass sum of squares in Float would lose the variance.
    func testVarianceSurvivesLargeMean() {
        let noise = Tensor.randomUniform([64, 2, 4], lower: -0.01, upper: 0.01, using: &generator)
        let x = noise + 1000
        let statistics = x.batchNormalized(weight: Tensor(ones: [2]), bias: Tensor(zeros: [2]), epsilon: 0).statistics
        let exact = (0..<2).map { c -> Double in
            let values = (0..<64).flatMap { n in (0..<4).map { Double(x[n, c, $0]) } }
            let mean = values.reduce(0, +) / Double(values.count)
            return values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
        }
        for c in 0..<2 {
            XCTAssertEqual(Double(statistics.variance.scalars[c]), exact[c], accuracy: exact[c] * 1e-3)
        }
    }

    func testResultDoesNotDependOnThreadCount() {
        let x = Tensor.randomNormal([8, 16, 33, 17], using: &generator).requiringGradient()
        let w = Tensor(ones: [16]).requiringGradient(), b = Tensor(zeros: [16]).requiringGradient()
        let seed = Tensor.randomNormal(x.shape, using: &generator)
        func run() -> [[Float]] {
            let (y, s) = x.batchNormalized(weight: w, bias: b, epsilon: 1e-5)
            return [y.scalars, s.variance.scalars] + gradients(of: y, withRespectTo: [x, w, b], seed: seed).map { $0!.scalars }
        }
        assertSameBitsForOneAndTwoThreads(run)
    }

    private func assertSameBitsForOneAndTwoThreads(_ run: () -> [[Float]], file: StaticString = #filePath, line: UInt = #line) {
        let saved = ComputeThreads.count
        defer { ComputeThreads.count = saved }
        ComputeThreads.count = 1
        let single = run()
        ComputeThreads.count = 2
        XCTAssertEqual(run(), single, file: file, line: line)
    }

    /// The fused group norm, with and without SiLU, against normalisation over `[N, G, -1]` rows, the
    /// affine map and SiLU in composite ops; and its bits for one and two threads.
    func testGroupNormMatchesCompositeFormula() {
        let x = Tensor.randomNormal([3, 6, 4, 5], mean: 1, standardDeviation: 3, using: &generator).requiringGradient()
        let w = Tensor.randomUniform([6], lower: 0.5, upper: 1.5, using: &generator).requiringGradient()
        let b = Tensor.randomNormal([6], using: &generator).requiringGradient()
        let seed = Tensor.randomNormal(x.shape, using: &generator)
        let rows = x.reshaped(to: [3, 3, 40])
        let centered = rows - rows.mean(alongAxes: [2], keepingDimensions: true)
        let normalized = (centered / (centered.squared().mean(alongAxes: [2], keepingDimensions: true) + 1e-5).sqrt())
            .reshaped(to: x.shape)
        let affine = normalized * w.reshaped(to: [1, 6, 1, 1]) + b.reshaped(to: [1, 6, 1, 1])
        for silu in [false, true] {
            let reference = silu ? affine.silu() : affine
            let fused = x.groupNormalized(groupCount: 3, weight: w, bias: b, epsilon: 1e-5, followedBySiLU: silu)
            XCTAssertTrue(fused.isClose(to: reference, absolute: 1e-5, relative: 1e-4), "SiLU \(silu)")
            let expected = gradients(of: reference, withRespectTo: [x, w, b], seed: seed)
            for (index, g) in gradients(of: fused, withRespectTo: [x, w, b], seed: seed).enumerated() {
                XCTAssertTrue(g!.isClose(to: expected[index]!, absolute: 1e-4, relative: 1e-3), "SiLU \(silu), input \(index)")
            }
            func run() -> [[Float]] {
                let y = x.groupNormalized(groupCount: 3, weight: w, bias: b, epsilon: 1e-5, followedBySiLU: silu)
                return [y.scalars] + gradients(of: y, withRespectTo: [x, w, b], seed: seed).map { $0!.scalars }
            }
            assertSameBitsForOneAndTwoThreads(run)
        }
    }

    /// The moment kernels' sums are sixteen chains (lane `i % 16`) added in a fixed tree, the same bits
    /// whichever instruction set runs them, and close to a plain Double sum.
    func testMomentKernelsSumSixteenLanesInAFixedTree() {
        for count in [0, 5, 16, 63, 200] {
            let a = Tensor.randomNormal([Swift.max(count, 1)], mean: 3, standardDeviation: 2, using: &generator).scalars
            let b = Tensor.randomNormal([Swift.max(count, 1)], using: &generator).scalars
            let center = 2.5
            func tree(_ term: (Int) -> (Double, Double)) -> (Double, Double) {
                var u = [Double](repeating: 0, count: 16), v = u
                for i in 0..<count {
                    let (du, dv) = term(i)
                    u[i % 16] += du
                    v[i % 16] += dv
                }
                var width = 8
                while width >= 1 {
                    for l in 0..<width { u[l] += u[l + width]; v[l] += v[l + width] }
                    width /= 2
                }
                return (1 + u[0], -1 + v[0])
            }
            var first = 1.0, second = -1.0
            studio_shifted_moments(a, count, center, &first, &second)
            let shifted = tree { i in let d = Double(a[i]) - center; return (d, d * d) }
            XCTAssertEqual(first.bitPattern, shifted.0.bitPattern, "shifted, \(count)")
            XCTAssertEqual(second.bitPattern, shifted.1.bitPattern, "shifted squares, \(count)")
            let plain = (0..<count).reduce(0.0) { $0 + (Double(a[$1]) - center) }
            XCTAssertEqual(first, 1 + plain, accuracy: 1e-9 * Double(count + 1))

            first = 1.0
            second = -1.0
            studio_gradient_moments(a, b, count, center, &first, &second)
            let gradient = tree { i in (Double(a[i]), Double(a[i]) * (Double(b[i]) - center)) }
            XCTAssertEqual(first.bitPattern, gradient.0.bitPattern, "gradient, \(count)")
            XCTAssertEqual(second.bitPattern, gradient.1.bitPattern, "gradient products, \(count)")
        }
    }
}
