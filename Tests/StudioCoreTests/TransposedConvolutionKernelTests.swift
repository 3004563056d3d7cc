import CKernels
import XCTest
@testable import StudioCore

/// `studio_conv_transposed`, the phase-by-phase kernel of strided transposed convolutions: its bits against
/// the chain of fused multiply-adds it promises, and the ops that use it (a transposed convolution's
/// forward pass, a strided convolution's input gradient) against reference loops and finite differences.
final class TransposedConvolutionKernelTests: XCTestCase {
    private var generator = RandomGenerator(seed: 41)

    private func random(_ shape: Shape) -> Tensor {
        Tensor.randomUniform(shape, lower: -1, upper: 1, using: &generator)
    }

    private struct Case {
        var channels, outputs, height, width: Int
        var kernel, stride, padding, outputPadding: (Int, Int)

        var outputHeight: Int { (height - 1) * stride.0 - 2 * padding.0 + kernel.0 + outputPadding.0 }
        var outputWidth: Int { (width - 1) * stride.1 - 2 * padding.1 + kernel.1 + outputPadding.1 }
    }

    /// A DCGAN generator's 7 -> 14 layer, even kernels, a stride above the kernel (phases with no taps), a
    /// 1-D WaveGAN-like layer, unequal strides, and 20 channels of 5x5 taps (several blocks of channels).
    private let cases: [Case] = [
        Case(channels: 5, outputs: 64, height: 7, width: 7, kernel: (5, 5), stride: (2, 2), padding: (2, 2),
             outputPadding: (1, 1)),
        Case(channels: 3, outputs: 48, height: 4, width: 5, kernel: (4, 4), stride: (2, 2), padding: (1, 1),
             outputPadding: (0, 0)),
        Case(channels: 2, outputs: 16, height: 3, width: 3, kernel: (3, 3), stride: (3, 3), padding: (0, 0),
             outputPadding: (0, 0)),
        Case(channels: 2, outputs: 16, height: 3, width: 4, kernel: (1, 2), stride: (3, 3), padding: (0, 0),
             outputPadding: (2, 1)),
        Case(channels: 4, outputs: 32, height: 1, width: 9, kernel: (1, 25), stride: (1, 4), padding: (0, 11),
             outputPadding: (0, 1)),
        Case(channels: 20, outputs: 112, height: 6, width: 5, kernel: (5, 3), stride: (2, 1), padding: (2, 1),
             outputPadding: (1, 0)),
    ]

    /// `bias + Σ_c Σ_ky Σ_kx x·w` over the taps that land on each output, as fused multiply-adds with taps
    /// from the last to the first; `w` is `[channels, outputs, kh, kw]`.
    private func fusedReference(_ x: [Float], _ w: [Float], _ b: [Float]?, _ t: Case) -> [Float] {
        let (kh, kw) = t.kernel
        var out = [Float](repeating: 0, count: t.outputs * t.outputHeight * t.outputWidth)
        for o in 0..<t.outputs { for y in 0..<t.outputHeight { for xo in 0..<t.outputWidth {
            var total = b?[o] ?? 0
            for c in 0..<t.channels { for ky in (0..<kh).reversed() { for kx in (0..<kw).reversed() {
                let sy = y + t.padding.0 - ky, sx = xo + t.padding.1 - kx
                guard sy % t.stride.0 == 0, sx % t.stride.1 == 0 else { continue }
                let iy = sy / t.stride.0, ix = sx / t.stride.1
                guard iy >= 0, iy < t.height else { continue }
                let value = ix < 0 || ix >= t.width ? 0 : x[(c * t.height + iy) * t.width + ix]
                total = total.addingProduct(value, w[((c * t.outputs + o) * kh + ky) * kw + kx])
            } } }
            out[(o * t.outputHeight + y) * t.outputWidth + xo] = total
        } } }
        return out
    }

    func testKernelMatchesFusedMultiplyAddChainBitForBit() throws {
        try XCTSkipIf(studio_avx512_available() == 0, "the phase kernel runs on AVX-512 only")
        for t in cases {
            let x = random([t.channels, t.height, t.width]).scalars
            let w = random([t.channels, t.outputs, t.kernel.0, t.kernel.1]).scalars
            let b = random([t.outputs]).scalars
            var packed = [Float](repeating: .nan, count: w.count)
            studio_conv_pack_phases(w, t.channels, t.outputs, t.kernel.0, t.kernel.1, t.stride.0, t.stride.1,
                                    t.padding.0, t.padding.1, &packed)
            var scratch = [Float](repeating: .nan, count: studio_conv_transposed_scratch_count(
                t.channels, t.height, t.width, t.kernel.0, t.kernel.1, t.stride.0, t.stride.1, t.padding.0,
                t.padding.1, t.outputs, t.outputHeight, t.outputWidth))
            var result = [Float](repeating: .nan, count: t.outputs * t.outputHeight * t.outputWidth)
            let done = studio_conv_transposed(x, t.channels, t.height, t.width, packed, t.outputs, t.kernel.0,
                                              t.kernel.1, t.stride.0, t.stride.1, t.padding.0, t.padding.1,
                                              t.outputHeight, t.outputWidth, b, &result, &scratch)
            XCTAssertEqual(done, 1)
            XCTAssertEqual(result.map(\.bitPattern), fusedReference(x, w, b, t).map(\.bitPattern), "\(t)")
        }
    }

    func testOtherOutputCountsAreDeclined() throws {
        try XCTSkipIf(studio_avx512_available() == 0, "the phase kernel runs on AVX-512 only")
        var result: [Float] = [7], scratch = [Float](repeating: 0, count: 64)
        XCTAssertEqual(studio_conv_transposed([1], 1, 1, 1, [1], 1, 1, 1, 2, 2, 0, 0, 1, 1, nil, &result, &scratch), 0)
        XCTAssertEqual(result, [7])
    }

    func testTransposedConvolutionsMatchReferenceLoops() {
        for t in cases {
            let x = random([2, t.channels, t.height, t.width])
            let w = random([t.channels, t.outputs, t.kernel.0, t.kernel.1]), b = random([t.outputs])
            let z = x.convTranspose2d(weight: w, bias: b, stride: t.stride, padding: t.padding,
                                      outputPadding: t.outputPadding)
            let plane = t.channels * t.height * t.width
            let expected = (0..<2).flatMap { n in
                fusedReference(Array(x.scalars[(n * plane)..<((n + 1) * plane)]), w.scalars, b.scalars, t)
            }
            XCTAssertEqual(z.shape, [2, t.outputs, t.outputHeight, t.outputWidth])
            XCTAssertTrue(z.isClose(to: Tensor(shape: z.shape, scalars: expected), absolute: 1e-5, relative: 1e-5),
                          "convTranspose2d \(t)")
        }
    }

    func testGradientsThroughThePhaseKernel() {
        // A strided transposed convolution with 16 outputs runs the kernel forward; a strided convolution
        // with 16 inputs runs it for its input gradient.
        let transposed = checkGradients(
            of: { $0[0].convTranspose2d(weight: $0[1], bias: $0[2], stride: (2, 2), padding: (2, 2),
                                        outputPadding: (1, 1)) },
            at: [random([2, 3, 4, 3]), random([3, 16, 5, 5]), random([16])], epsilon: 1e-2)
        XCTAssertLessThan(transposed.maxError, 1e-2, "convTranspose2d 5x5 stride 2: \(transposed)")
        let strided = checkGradients(of: { $0[0].conv2d(weight: $0[1], stride: (2, 2), padding: (1, 1)) },
                                     at: [random([2, 16, 6, 5]), random([3, 16, 4, 4])], epsilon: 1e-2)
        XCTAssertLessThan(strided.maxError, 1e-2, "conv2d 4x4 stride 2: \(strided)")
    }

    func testOneAndTwoThreadsGiveTheSameBits() {
        let x = random([5, 8, 7, 7]), w = random([8, 32, 5, 5]), b = random([32])
        func run(_ threads: Int) -> [UInt32] {
            let saved = ComputeThreads.count
            ComputeThreads.count = threads
            defer { ComputeThreads.count = saved }
            return x.convTranspose2d(weight: w, bias: b, stride: (2, 2), padding: (2, 2), outputPadding: (1, 1))
                .scalars.map(\.bitPattern)
        }
        XCTAssertEqual(run(1), run(2))
    }
}
