import CKernels
import XCTest
@testable import StudioCore

/// The direct kernels: their bits against the same chain of fused multiply-adds written here (which also
/// pins their plain fallback loops to their vector loops) and against each other, and the convolution ops
/// that use them against reference loops, finite differences and one and two threads.
final class DirectConvolutionTests: XCTestCase {
    private var generator = RandomGenerator(seed: 23)

    private func random(_ shape: Shape) -> Tensor {
        Tensor.randomUniform(shape, lower: -1, upper: 1, using: &generator)
    }

    /// Shapes that cover full and partial tiles of eight outputs, the flat kernel's last tiles of one, two
    /// and three vectors with and without a partial vector in its first row, its middle rows and its last
    /// row, rows narrower than a vector, one pixel, a 28x28 UNet level, a 7x7 one (the channel kernel
    /// forward, the flat kernel back), and 64 channels each way (Winograd).
    private let shapes: [(channels: Int, outputs: Int, height: Int, width: Int)] = [
        (1, 1, 1, 1), (3, 9, 5, 7), (2, 3, 4, 20), (20, 17, 7, 7), (16, 16, 28, 28), (5, 8, 14, 14), (4, 2, 3, 2),
        (8, 32, 7, 7), (64, 64, 9, 10), (2, 16, 2, 16), (3, 5, 3, 32), (2, 9, 4, 48),
    ]

    /// `bias + Σ_c Σ_ky Σ_kx x·w` as fused multiply-adds in that order, with zeros outside the image; output
    /// `outputHeight x outputWidth` at the given stride and padding.
    private func fusedReference(_ x: [Float], _ w: [Float], _ b: [Float]?, channels: Int, outputs: Int,
                                height: Int, width: Int, kernel: (Int, Int) = (3, 3), stride: (Int, Int) = (1, 1),
                                padding: (Int, Int) = (1, 1), transposed: Bool) -> [Float] {
        let (kh, kw) = kernel
        let outH = (height + 2 * padding.0 - kh) / stride.0 + 1, outW = (width + 2 * padding.1 - kw) / stride.1 + 1
        var out = [Float](repeating: 0, count: outputs * outH * outW)
        for o in 0..<outputs { for y in 0..<outH { for xo in 0..<outW {
            var total = b?[o] ?? 0
            for c in 0..<channels { for ky in 0..<kh { for kx in 0..<kw {
                let iy = y * stride.0 + ky - padding.0, ix = xo * stride.1 + kx - padding.1
                let value = iy < 0 || iy >= height || ix < 0 || ix >= width ? 0 : x[(c * height + iy) * width + ix]
                // Forward: w is [outputs, channels, kh, kw]; transposed: w is [channels, outputs, kh, kw], flipped.
                let tap = transposed ? w[((c * outputs + o) * kh + kh - 1 - ky) * kw + kw - 1 - kx]
                                     : w[((o * channels + c) * kh + ky) * kw + kx]
                total = total.addingProduct(value, tap)
            } } }
            out[(o * outH + y) * outW + xo] = total
        } } }
        return out
    }

    func testKernelMatchesFusedMultiplyAddChainBitForBit() {
        for (channels, outputs, height, width) in shapes {
            for transposed in [false, true] {
                let x = random([channels, height, width]).scalars
                // The packed weight's own shape: [outputs, channels, 3, 3], or [channels, outputs, 3, 3] transposed.
                let w = random(transposed ? [channels, outputs, 3, 3] : [outputs, channels, 3, 3]).scalars
                let b = random([outputs]).scalars
                var packed = [Float](repeating: .nan, count: w.count)
                if transposed {
                    studio_conv_pack(w, channels, outputs, 3, 3, 1, &packed)
                } else {
                    studio_conv_pack(w, outputs, channels, 3, 3, 0, &packed)
                }
                var scratch = [Float](repeating: .nan, count: studio_conv3x3_scratch_count(channels, height, width, outputs))
                var result = [Float](repeating: .nan, count: outputs * height * width)
                studio_conv3x3(x, channels, height, width, packed, outputs, b, &result, &scratch)
                let expected = fusedReference(x, w, b, channels: channels, outputs: outputs, height: height,
                                              width: width, transposed: transposed)
                XCTAssertEqual(result.map(\.bitPattern), expected.map(\.bitPattern),
                               "\(channels) -> \(outputs) channels, \(height)x\(width), transposed \(transposed)")
            }
        }
    }

    /// Kernels, strides and paddings for the channel-vectorised kernel: 64 + 32 + 16 and 16 output channels
    /// (its vector tiles), 5 and 9 (its plain loops), three blocks of channels, tails of pixels, and the
    /// shapes that take row tiles.
    private let general: [(channels: Int, outputs: Int, height: Int, width: Int, kernel: (Int, Int),
                           stride: (Int, Int), padding: (Int, Int))] = [
        (3, 112, 7, 7, (5, 5), (1, 1), (2, 2)), (45, 16, 6, 5, (5, 5), (2, 2), (2, 2)), (2, 32, 9, 4, (3, 1), (1, 2), (0, 1)),
        (4, 5, 5, 6, (5, 5), (2, 2), (2, 2)), (6, 9, 4, 4, (1, 1), (1, 1), (0, 0)), (1, 16, 28, 28, (5, 5), (2, 2), (2, 2)),
        // The row tiles' shapes: 7x7 at stride 1 and from 14x14 at stride 2, with 3 + 2 and 3 + 1 vectors.
        (20, 80, 7, 7, (5, 5), (1, 1), (2, 2)), (4, 64, 14, 14, (5, 5), (2, 2), (2, 2)),
        // A UNet's 7x7 level, 3x3 same convolutions: 3 and 2 vectors.
        (12, 48, 7, 7, (3, 3), (1, 1), (1, 1)), (5, 32, 7, 7, (3, 3), (1, 1), (1, 1)),
    ]

    func testChannelKernelMatchesFusedMultiplyAddChainBitForBit() {
        for (channels, outputs, height, width, kernel, stride, padding) in general {
            let x = random([channels, height, width]).scalars
            let w = random([outputs, channels, kernel.0, kernel.1]).scalars
            let b = random([outputs]).scalars
            var packed = [Float](repeating: .nan, count: w.count)
            studio_conv_pack(w, outputs, channels, kernel.0, kernel.1, 0, &packed)
            let outH = (height + 2 * padding.0 - kernel.0) / stride.0 + 1
            let outW = (width + 2 * padding.1 - kernel.1) / stride.1 + 1
            var scratch = [Float](repeating: .nan, count: studio_conv_channels_scratch_count(
                channels, height, width, padding.0, padding.1, outputs, outH, outW))
            var result = [Float](repeating: .nan, count: outputs * outH * outW)
            studio_conv_channels(x, channels, height, width, packed, outputs, kernel.0, kernel.1, stride.0, stride.1,
                                 padding.0, padding.1, outH, outW, b, &result, &scratch)
            let expected = fusedReference(x, w, b, channels: channels, outputs: outputs, height: height, width: width,
                                          kernel: kernel, stride: stride, padding: padding, transposed: false)
            XCTAssertEqual(result.map(\.bitPattern), expected.map(\.bitPattern),
                           "\(channels) -> \(outputs), \(height)x\(width), kernel \(kernel) stride \(stride) padding \(padding)")
        }
    }

    /// Zero-bordered planes, whose vector loop masks each row's borders, against a plain copy: borders of
    /// zero to 17 columns, rows shorter and longer than a vector, and a plane of one row.
    func testPaddedPlanesHoldTheImageInsideZeroBorders() {
        for (channels, height, width, top, bottom, left, right) in [(2, 3, 5, 1, 1, 1, 1), (3, 4, 20, 2, 0, 0, 3),
                                                                    (1, 1, 33, 0, 2, 17, 1), (2, 7, 7, 2, 2, 2, 2)] {
            let x = random([channels, height, width]).scalars
            let (ph, pw) = (height + top + bottom, width + left + right)
            var planes = [Float](repeating: .nan, count: channels * ph * pw)
            studio_pad_planes_bordered(x, channels, height, width, top, bottom, left, right, &planes)
            var expected = [Float](repeating: 0, count: planes.count)
            for c in 0..<channels { for y in 0..<height { for i in 0..<width {
                expected[(c * ph + top + y) * pw + left + i] = x[(c * height + y) * width + i]
            } } }
            XCTAssertEqual(planes.map(\.bitPattern), expected.map(\.bitPattern),
                           "\(channels)x\(height)x\(width), borders \([top, bottom, left, right])")
        }
    }

    func testBothKernelsGiveTheSameBitsOnA3x3Convolution() {
        let (channels, outputs, height, width) = (7, 32, 14, 14)
        let x = random([channels, height, width]).scalars, w = random([outputs, channels, 3, 3]).scalars
        var packed = [Float](repeating: 0, count: w.count)
        studio_conv_pack(w, outputs, channels, 3, 3, 0, &packed)
        var flat = [Float](repeating: .nan, count: outputs * height * width), channelwise = flat
        var scratch = [Float](repeating: 0, count: studio_conv3x3_scratch_count(channels, height, width, outputs))
        studio_conv3x3(x, channels, height, width, packed, outputs, nil, &flat, &scratch)
        scratch = [Float](repeating: 0, count: studio_conv_channels_scratch_count(channels, height, width, 1, 1, outputs,
                                                                                  height, width))
        studio_conv_channels(x, channels, height, width, packed, outputs, 3, 3, 1, 1, 1, 1, height, width, nil,
                             &channelwise, &scratch)
        XCTAssertEqual(flat.map(\.bitPattern), channelwise.map(\.bitPattern))
    }

    func testOtherConvolutionsMatchReferenceLoops() {
        for (channels, outputs, height, width, kernel, stride, padding) in general {
            let x = random([2, channels, height, width]), w = random([outputs, channels, kernel.0, kernel.1])
            let y = x.conv2d(weight: w, stride: stride, padding: padding)
            var expected = [Float]()
            let plane = channels * height * width
            for n in 0..<2 {
                expected += fusedReference(Array(x.scalars[(n * plane)..<((n + 1) * plane)]), w.scalars, nil,
                                           channels: channels, outputs: outputs, height: height, width: width,
                                           kernel: kernel, stride: stride, padding: padding, transposed: false)
            }
            XCTAssertTrue(y.isClose(to: Tensor(shape: y.shape, scalars: expected), absolute: 1e-5, relative: 1e-5),
                          "conv2d \(channels) -> \(outputs), kernel \(kernel) stride \(stride) padding \(padding)")
            guard stride == (1, 1) else { continue }
            // Stride 1: the transposed convolution runs the kernel as an input gradient, padding k - 1 - p.
            let wt = random([channels, outputs, kernel.0, kernel.1])
            let z = x.convTranspose2d(weight: wt, padding: padding)
            let outH = height + kernel.0 - 1 - 2 * padding.0, outW = width + kernel.1 - 1 - 2 * padding.1
            var expectedZ = [Float]()
            for n in 0..<2 {
                expectedZ += fusedReference(Array(x.scalars[(n * plane)..<((n + 1) * plane)]), wt.scalars, nil,
                                            channels: channels, outputs: outputs, height: height, width: width,
                                            kernel: kernel, padding: (kernel.0 - 1 - padding.0, kernel.1 - 1 - padding.1),
                                            transposed: true)
            }
            XCTAssertEqual(z.shape, [2, outputs, outH, outW])
            XCTAssertTrue(z.isClose(to: Tensor(shape: z.shape, scalars: expectedZ), absolute: 1e-5, relative: 1e-5),
                          "convTranspose2d \(channels) -> \(outputs), kernel \(kernel) padding \(padding)")
        }
    }

    func testSameConvolutionsMatchReferenceLoops() {
        for (channels, outputs, height, width) in shapes {
            let x = random([2, channels, height, width]), w = random([outputs, channels, 3, 3]), b = random([outputs])
            // A transposed convolution with stride 1 and padding 1 runs the kernel as an input gradient.
            let wt = random([channels, outputs, 3, 3])
            let y = x.conv2d(weight: w, bias: b, padding: (1, 1))
            let z = x.convTranspose2d(weight: wt, bias: b, padding: (1, 1))
            var expectedY = [Float](), expectedZ = [Float]()
            let plane = channels * height * width
            for n in 0..<2 {
                let image = Array(x.scalars[(n * plane)..<((n + 1) * plane)])
                expectedY += fusedReference(image, w.scalars, b.scalars, channels: channels, outputs: outputs,
                                            height: height, width: width, transposed: false)
                expectedZ += fusedReference(image, wt.scalars, b.scalars, channels: channels, outputs: outputs,
                                            height: height, width: width, transposed: true)
            }
            let name = "\(channels) -> \(outputs), \(height)x\(width)"
            XCTAssertTrue(y.isClose(to: Tensor(shape: y.shape, scalars: expectedY), absolute: 1e-5, relative: 1e-5),
                          "conv2d \(name)")
            XCTAssertTrue(z.isClose(to: Tensor(shape: z.shape, scalars: expectedZ), absolute: 1e-5, relative: 1e-5),
                          "convTranspose2d \(name)")
        }
    }

    func testGradientsThroughTheDirectKernel() {
        let inputs = [random([2, 3, 6, 5]), random([9, 3, 3, 3]), random([9])]
        let report = checkGradients(of: { $0[0].conv2d(weight: $0[1], bias: $0[2], padding: (1, 1)) }, at: inputs,
                                    epsilon: 1e-2)
        XCTAssertLessThan(report.maxError, 1e-2, "conv2d 3x3 same: \(report)")
        let transposed = checkGradients(of: { $0[0].convTranspose2d(weight: $0[1], padding: (1, 1)) },
                                        at: [random([2, 9, 4, 6]), random([9, 3, 3, 3])], epsilon: 1e-2)
        XCTAssertLessThan(transposed.maxError, 1e-2, "convTranspose2d 3x3 same: \(transposed)")
        // The channel kernel: a strided convolution with 16 outputs and a stride-1 transposed one with 16.
        let strided = checkGradients(of: { $0[0].conv2d(weight: $0[1], bias: $0[2], stride: (2, 2), padding: (2, 2)) },
                                     at: [random([2, 2, 6, 5]), random([16, 2, 5, 5]), random([16])], epsilon: 1e-2)
        XCTAssertLessThan(strided.maxError, 1e-2, "conv2d 5x5 stride 2: \(strided)")
        let wide = checkGradients(of: { $0[0].convTranspose2d(weight: $0[1], padding: (2, 2)) },
                                  at: [random([2, 3, 4, 4]), random([3, 16, 5, 5])], epsilon: 1e-2)
        XCTAssertLessThan(wide.maxError, 1e-2, "convTranspose2d 5x5 stride 1: \(wide)")
    }

    func testOneAndTwoThreadsGiveTheSameBits() {
        // The flat kernel, and Winograd on two calls of images.
        for (batch, channels, outputs) in [(5, 8, 16), (17, 64, 64)] {
            let x = random([batch, channels, 8, 9]), w = random([outputs, channels, 3, 3]), b = random([outputs])
            func run(_ threads: Int) -> [UInt32] {
                let saved = ComputeThreads.count
                ComputeThreads.count = threads
                defer { ComputeThreads.count = saved }
                return x.conv2d(weight: w, bias: b, padding: (1, 1)).scalars.map(\.bitPattern)
            }
            XCTAssertEqual(run(1), run(2), "\(channels) -> \(outputs)")
        }
    }
}
