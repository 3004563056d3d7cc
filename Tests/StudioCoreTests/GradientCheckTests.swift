import XCTest
@testable import StudioCore

/// One row per differentiable op: central differences in Double against the recorded pullbacks.
final class GradientCheckTests: XCTestCase {
    private var generator = RandomGenerator(seed: 42)

    private func random(_ shape: Shape, lower: Float = -1, upper: Float = 1) -> Tensor {
        Tensor.randomUniform(shape, lower: lower, upper: upper, using: &generator)
    }

    private func assertGradients(_ name: String, _ inputs: [Tensor], tolerance: Double = 1e-2,
                                 epsilon: Float = 1e-2, file: StaticString = #filePath, line: UInt = #line,
                                 _ f: @escaping ([Tensor]) -> Tensor) {
        let report = checkGradients(of: f, at: inputs, epsilon: epsilon)
        XCTAssertLessThan(report.maxError, tolerance, "\(name): \(report)", file: file, line: line)
    }

    func testArithmeticWithBroadcasting() {
        let a = random([2, 3, 4]), b = random([3, 1]), c = random([4], lower: 0.5, upper: 2)
        assertGradients("add", [a, b]) { $0[0] + $0[1] }
        assertGradients("subtract", [a, b]) { $0[0] - $0[1] }
        assertGradients("multiply", [a, b]) { $0[0] * $0[1] }
        assertGradients("divide", [a, c]) { $0[0] / $0[1] }
        let s = separated([2, 3, 4]), t = separated([3, 1]) + 0.05
        assertGradients("maximum", [s, t]) { Tensor.maximum($0[0], $0[1]) }
        assertGradients("minimum", [s, t]) { Tensor.minimum($0[0], $0[1]) }
        assertGradients("scalar ops", [a]) { 2 - (3 * $0[0] + 1) / 4 }
        assertGradients("rdiv", [c]) { 1 / $0[0] }
        assertGradients("negate", [a]) { -$0[0] }
        assertGradients("expand", [b]) { $0[0].expanded(to: [2, 3, 4]) }
        assertGradients("sumToShape", [a]) { $0[0].sumToShape([3, 1]) }
    }

    func testElementwiseFunctions() {
        let x = random([3, 5]), positive = random([3, 5], lower: 0.5, upper: 2)
        assertGradients("exp", [x]) { $0[0].exp() }
        assertGradients("log", [positive]) { $0[0].log() }
        assertGradients("sqrt", [positive]) { $0[0].sqrt() }
        assertGradients("squared", [x]) { $0[0].squared() }
        assertGradients("pow", [positive]) { $0[0].pow(1.7) }
        assertGradients("abs", [x]) { $0[0].abs() }
        assertGradients("clamp", [x]) { $0[0].clamped(min: -0.5, max: 0.5) }
        assertGradients("erf", [x]) { $0[0].erf() }
        assertGradients("sin", [x]) { $0[0].sin() }
        assertGradients("cos", [x]) { $0[0].cos() }
    }

    func testActivations() {
        let x = random([4, 6], lower: -3, upper: 3)
        assertGradients("relu", [x]) { $0[0].relu() }
        assertGradients("leakyRelu", [x]) { $0[0].leakyRelu(slope: 0.2) }
        assertGradients("tanh", [x]) { $0[0].tanh() }
        assertGradients("sigmoid", [x]) { $0[0].sigmoid() }
        assertGradients("silu", [x]) { $0[0].silu() }
        assertGradients("gelu", [x]) { $0[0].gelu() }
        assertGradients("softplus", [x]) { $0[0].softplus() }
    }

    /// Distinct values at least 0.1 apart, so that a finite-difference step never changes which is largest.
    private func separated(_ shape: Shape) -> Tensor {
        var order = Array(0..<shape.elementCount).map(Float.init)
        order.shuffle(using: &generator)
        return Tensor(shape: shape, scalars: order.map { $0 * 0.1 - 1 })
    }

    func testReductions() {
        let x = separated([2, 3, 4])
        assertGradients("sum axes", [x]) { $0[0].sum(alongAxes: [0, 2]) }
        assertGradients("sum keep", [x]) { $0[0].sum(alongAxis: 1, keepingDimensions: true) }
        assertGradients("sum all", [x]) { $0[0].sum() }
        assertGradients("mean", [x]) { $0[0].mean(alongAxes: [1]) }
        assertGradients("max", [x]) { $0[0].max(alongAxes: [2]) }
        assertGradients("max two axes", [x]) { $0[0].max(alongAxes: [0, 2], keepingDimensions: true) }
        assertGradients("min", [x]) { $0[0].min(alongAxes: [1]) }
        assertGradients("logSumExp", [x]) { $0[0].logSumExp(alongAxes: [2]) }
        assertGradients("variance", [x]) { $0[0].variance(alongAxes: [0, 2], unbiased: true) }
    }

    func testShapeOps() {
        let x = random([2, 3, 4]), y = random([2, 2, 4])
        assertGradients("reshape", [x]) { $0[0].reshaped(to: [6, -1]) }
        assertGradients("permute", [x]) { $0[0].permuted([2, 0, 1]) }
        assertGradients("transpose", [x]) { $0[0].transposed() }
        assertGradients("slice", [x]) { $0[0].sliced(alongAxis: 2, 1..<3) }
        assertGradients("pad", [x]) { $0[0].padded([(0, 0), (1, 2), (2, 1)], value: 0.5) }
        assertGradients("concatenate", [x, y]) { Tensor.concatenate([$0[0], $0[1]], alongAxis: 1) }
        assertGradients("stack", [x, x]) { Tensor.stack([$0[0], $0[1]], alongAxis: 1) }
        assertGradients("phaseShuffled", [random([3, 2, 5])]) { $0[0].phaseShuffled(shifts: [2, -3, 0]) }
    }

    func testMatmul() {
        let a = random([3, 4]), b = random([4, 5]), bt = random([5, 4]), at = random([4, 3])
        assertGradients("matmul", [a, b]) { Tensor.matmul($0[0], $0[1]) }
        assertGradients("matmul Bᵀ", [a, bt]) { Tensor.matmul($0[0], $0[1], transposeB: true) }
        assertGradients("matmul Aᵀ", [at, b]) { Tensor.matmul($0[0], $0[1], transposeA: true) }
        assertGradients("matmul AᵀBᵀ", [at, bt]) { Tensor.matmul($0[0], $0[1], transposeA: true, transposeB: true) }
        let p = random([2, 3, 4]), q = random([2, 4, 5])
        assertGradients("batched", [p, q]) { Tensor.matmul($0[0], $0[1]) }
        assertGradients("batched shared", [p, b]) { Tensor.matmul($0[0], $0[1]) }
        assertGradients("batch broadcast", [a, q]) { Tensor.matmul($0[0], $0[1]) }
    }

    func testIndexing() {
        let x = random([3, 4]), y = random([3, 4])
        let condition = random([3, 4]).greater(than: 0)
        assertGradients("where", [x, y]) { Tensor.where(condition, $0[0], $0[1]) }
        assertGradients("indexSelect", [x]) { $0[0].indexSelect([2, 0, 2], alongAxis: 0) }
        assertGradients("gather", [x]) { $0[0].gather(alongAxis: 1, indices: [1, 3, 0], indexCount: 1) }
        assertGradients("scatterAdd", [random([3, 1])]) {
            $0[0].scatterAdd(alongAxis: 1, indices: [1, 3, 0], into: [3, 4])
        }
        assertGradients("indexAdd", [random([2, 4])]) { $0[0].indexAdd([2, 2], alongAxis: 0, into: [3, 4]) }
    }

    func testBatchNormalization() {
        let image = random([3, 2, 2, 3], lower: -2, upper: 2), features = random([4, 3], lower: -2, upper: 2)
        assertGradients("batchNormalized NCHW", [image, random([2], lower: 0.5, upper: 1.5), random([2])]) {
            $0[0].batchNormalized(weight: $0[1], bias: $0[2], epsilon: 1e-5).output
        }
        assertGradients("batchNormalized NC", [features, random([3], lower: 0.5, upper: 1.5), random([3])]) {
            $0[0].batchNormalized(weight: $0[1], bias: $0[2], epsilon: 1e-5).output
        }
        assertGradients("normalized rows", [image]) { $0[0].normalized(rowCount: 6, epsilon: 1e-5) }
    }

    func testGroupNormalization() {
        let image = random([3, 4, 2, 3], lower: -2, upper: 2)
        for groups in [1, 2, 4] {
            for silu in [false, true] {
                assertGradients("groupNormalized \(groups) groups, SiLU \(silu)",
                                [image, random([4], lower: 0.5, upper: 1.5), random([4])]) {
                    $0[0].groupNormalized(groupCount: groups, weight: $0[1], bias: $0[2], epsilon: 1e-5, followedBySiLU: silu)
                }
            }
        }
        assertGradients("groupNormalized NC", [random([3, 6], lower: -2, upper: 2), random([6], lower: 0.5, upper: 1.5),
                                               random([6])]) {
            $0[0].groupNormalized(groupCount: 3, weight: $0[1], bias: $0[2], epsilon: 1e-5)
        }
        assertGradients("second order through group norm", [random([2, 4, 2, 2], lower: -2, upper: 2),
                                                             random([4], lower: 0.5, upper: 1.5), random([4])]) { inputs in
            let y = inputs[0].groupNormalized(groupCount: 2, weight: inputs[1], bias: inputs[2], epsilon: 1e-5)
            let g = gradients(of: (y.tanh() * y).sum(), withRespectTo: [inputs[0], inputs[1]], createGraph: true)
            return g[0]!.squared().sum() + g[1]!.squared().sum()
        }
        assertGradients("second order through group norm and SiLU", [random([2, 4, 2, 2], lower: -2, upper: 2),
                                                                     random([4], lower: 0.5, upper: 1.5), random([4])]) { inputs in
            let y = inputs[0].groupNormalized(groupCount: 2, weight: inputs[1], bias: inputs[2], epsilon: 1e-5,
                                              followedBySiLU: true)
            let g = gradients(of: (y.tanh() * y).sum(), withRespectTo: [inputs[0], inputs[1], inputs[2]], createGraph: true)
            return g[0]!.squared().sum() + g[1]!.squared().sum() + g[2]!.squared().sum()
        }
    }

    /// The gradient of a gradient norm, as WGAN-GP and R1 penalties take it.
    func testSecondOrder() {
        let x = random([3, 4]), w = random([4, 2]), v = random([2, 1])
        assertGradients("gradient norm", [x, w, v]) { inputs in
            let hidden = Tensor.matmul(inputs[0], inputs[1]).tanh()
            let score = Tensor.matmul(hidden.softplus(), inputs[2]).sum()
            let g = gradients(of: score, withRespectTo: [inputs[0]], createGraph: true)[0]!
            return (g.squared().sum(alongAxis: 1) + 1e-6).sqrt()
        }
        let image = random([2, 2, 2, 2], lower: -2, upper: 2), scale = random([2], lower: 0.5, upper: 1.5)
        assertGradients("second order through batch norm", [image, scale, random([2])]) { inputs in
            let y = inputs[0].batchNormalized(weight: inputs[1], bias: inputs[2], epsilon: 1e-5).output
            let score = (y.tanh() * y).sum()
            let g = gradients(of: score, withRespectTo: [inputs[0], inputs[1]], createGraph: true)
            return g[0]!.squared().sum() + g[1]!.squared().sum()
        }
        assertGradients("second order through row normalisation", [image]) { inputs in
            let y = inputs[0].normalized(rowCount: 4, epsilon: 1e-5)
            let g = gradients(of: (y.tanh() * y).sum(), withRespectTo: [inputs[0]], createGraph: true)[0]!
            return g.squared().sum()
        }
        // A WaveGAN critic's gradient penalty: conv1d, leaky ReLU, phase shuffle and linear, differentiated twice.
        let weight1 = random([3, 1, 3]), weight2 = random([4, 3 * 4])
        assertGradients("second order through a 1-d critic", [random([2, 1, 7]), weight1, random([3]), weight2]) { inputs in
            let h = inputs[0].conv1d(weight: inputs[1], bias: inputs[2], stride: 2, padding: 1)
                .leakyRelu(slope: 0.2).phaseShuffled(shifts: [1, -2])
            let score = Tensor.matmul(h.reshaped(to: [2, 12]), inputs[3], transposeB: true).tanh().sum()
            let g = gradients(of: score, withRespectTo: [inputs[0]], createGraph: true)[0]!
            return (g.squared().sum(alongAxes: [1, 2]) + 1e-6).sqrt()
        }
        assertGradients("second order through a transposed 1-d convolution", [random([2, 2, 3]), random([2, 1, 4])]) { inputs in
            let y = inputs[0].convTranspose1d(weight: inputs[1], stride: 2, padding: 1)
            let g = gradients(of: (y.tanh() * y).sum(), withRespectTo: [inputs[0]], createGraph: true)[0]!
            return g.squared().sum()
        }
        assertGradients("second order elementwise", [x]) { inputs in
            let y = (inputs[0].exp() * inputs[0].sigmoid() + inputs[0].silu() + inputs[0].gelu()).sum()
            return gradients(of: y, withRespectTo: [inputs[0]], createGraph: true)[0]!.squared()
        }
    }
}
