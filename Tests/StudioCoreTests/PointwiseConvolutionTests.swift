import XCTest
@testable import StudioCore

/// 1x1 convolutions, which run one GEMM per image in every pass: values against reference loops, gradients
/// against finite differences, and the same bits with one and two threads.
final class PointwiseConvolutionTests: XCTestCase {
    private var generator = RandomGenerator(seed: 29)

    private func random(_ shape: Shape) -> Tensor {
        Tensor.randomUniform(shape, lower: -1, upper: 1, using: &generator)
    }

    /// `out[n, o, p] = bias[o] + Σ_c w[o, c] · x[n, c, p]`.
    private func reference(_ x: Tensor, _ w: [Float], _ b: [Float]?, outputs: Int) -> Tensor {
        let (batch, channels, plane) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
        let xs = x.scalars
        var out = [Float](repeating: 0, count: batch * outputs * plane)
        for n in 0..<batch { for o in 0..<outputs { for p in 0..<plane {
            var total: Double = 0
            for c in 0..<channels { total += Double(w[o * channels + c]) * Double(xs[(n * channels + c) * plane + p]) }
            out[(n * outputs + o) * plane + p] = Float(total) + (b?[o] ?? 0)
        } } }
        return Tensor(shape: [batch, outputs, x.shape[2], x.shape[3]], scalars: out)
    }

    func testTheGeometryThatTakesThePath() {
        let g = ConvGeometry(batch: 2, inputChannels: 3, height: 4, width: 5, outputChannels: 6, kernelHeight: 1,
                             kernelWidth: 1, strideY: 1, strideX: 1, padY: 0, padX: 0, outputHeight: 4, outputWidth: 5)
        XCTAssertTrue(PointwiseConvolution.applies(g))
        var strided = g
        (strided.strideY, strided.outputHeight) = (2, 2)
        XCTAssertFalse(PointwiseConvolution.applies(strided))
        var padded = g
        (padded.padX, padded.outputWidth) = (1, 7)
        XCTAssertFalse(PointwiseConvolution.applies(padded))
    }

    func testValuesMatchReferenceLoops() {
        for (batch, channels, outputs, height, width) in [(3, 16, 32, 7, 7), (2, 5, 3, 1, 1), (1, 48, 16, 28, 28)] {
            let x = random([batch, channels, height, width])
            let w = random([outputs, channels, 1, 1]), b = random([outputs])
            let y = x.conv2d(weight: w, bias: b)
            XCTAssertTrue(y.isClose(to: reference(x, w.scalars, b.scalars, outputs: outputs), absolute: 1e-5, relative: 1e-5),
                          "conv2d 1x1 \(channels) -> \(outputs)")
            // A transposed 1x1 convolution multiplies by the weight's transpose: [C, O] read as [O, C].
            let wt = random([channels, outputs, 1, 1])
            var transposed = [Float](repeating: 0, count: outputs * channels)
            for c in 0..<channels { for o in 0..<outputs { transposed[o * channels + c] = wt.scalars[c * outputs + o] } }
            let z = x.convTranspose2d(weight: wt, bias: b)
            XCTAssertTrue(z.isClose(to: reference(x, transposed, b.scalars, outputs: outputs), absolute: 1e-5, relative: 1e-5),
                          "convTranspose2d 1x1 \(channels) -> \(outputs)")
        }
    }

    func testGradientsMatchFiniteDifferences() {
        let report = checkGradients(of: { $0[0].conv2d(weight: $0[1], bias: $0[2]) },
                                    at: [random([3, 4, 3, 5]), random([6, 4, 1, 1]), random([6])], epsilon: 1e-2)
        XCTAssertLessThan(report.maxError, 1e-2, "conv2d 1x1: \(report)")
        let transposed = checkGradients(of: { $0[0].convTranspose2d(weight: $0[1], bias: $0[2]) },
                                        at: [random([3, 4, 2, 3]), random([4, 5, 1, 1]), random([5])], epsilon: 1e-2)
        XCTAssertLessThan(transposed.maxError, 1e-2, "convTranspose2d 1x1: \(transposed)")
    }

    func testOneAndTwoThreadsGiveTheSameBits() {
        let x = random([5, 32, 7, 7]), w = random([16, 32, 1, 1]), b = random([16]), seed = random([5, 16, 7, 7])
        func run(_ threads: Int) -> [UInt32] {
            let saved = ComputeThreads.count
            ComputeThreads.count = threads
            defer { ComputeThreads.count = saved }
            let input = x.requiringGradient(), weight = w.requiringGradient()
            let y = input.conv2d(weight: weight, bias: b)
            let grads = gradients(of: y, withRespectTo: [input, weight], seed: seed)
            return (y.scalars + grads[0]!.scalars + grads[1]!.scalars).map(\.bitPattern)
        }
        XCTAssertEqual(run(1), run(2))
    }
}
