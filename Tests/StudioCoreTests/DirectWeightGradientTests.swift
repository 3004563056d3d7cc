import CKernels
import XCTest
@testable import StudioCore

/// `studio_conv_weight_gradient`, the weight gradient without im2col: its bits against the chain of fused
/// multiply-adds it promises, and `conv2d`'s and `convTranspose2d`'s weight gradients through it against
/// reference loops, finite differences and one and two threads.
final class DirectWeightGradientTests: XCTestCase {
    private var generator = RandomGenerator(seed: 59)

    private func random(_ shape: Shape) -> Tensor {
        Tensor.randomUniform(shape, lower: -1, upper: 1, using: &generator)
    }

    private struct Case {
        var batch, channels, outputs, height, width: Int
        var kernel, stride, padding: (Int, Int)

        var outputHeight: Int { (height + 2 * padding.0 - kernel.0) / stride.0 + 1 }
        var outputWidth: Int { (width + 2 * padding.1 - kernel.1) / stride.1 + 1 }
    }

    /// 64 + 32 + 16 outputs (every tile width) with tails of kernel rows, strides, kernels 3, 4 and 5 wide,
    /// unequal kernel sides and paddings, 28x28 images that take two passes over the batch, and the three
    /// shapes with tiles of their own (7x7, 14x14 to 7x7 and 28x28 to 14x14 with 5x5 kernels); for 3-wide
    /// kernels at stride 1 across, whose one- and two-vector tiles take three pixels at a time, rows of 8, 28,
    /// 10 (with stride 2 down) and 2 pixels.
    private let cases: [Case] = [
        Case(batch: 2, channels: 3, outputs: 112, height: 4, width: 2, kernel: (3, 3), stride: (1, 1), padding: (1, 1)),
        Case(batch: 2, channels: 3, outputs: 48, height: 7, width: 10, kernel: (3, 3), stride: (2, 1), padding: (1, 1)),
        Case(batch: 3, channels: 3, outputs: 112, height: 7, width: 7, kernel: (5, 5), stride: (1, 1), padding: (2, 2)),
        Case(batch: 2, channels: 5, outputs: 48, height: 14, width: 14, kernel: (5, 5), stride: (2, 2), padding: (2, 2)),
        Case(batch: 2, channels: 7, outputs: 16, height: 9, width: 8, kernel: (3, 3), stride: (1, 1), padding: (1, 1)),
        Case(batch: 3, channels: 4, outputs: 32, height: 6, width: 9, kernel: (4, 4), stride: (2, 2), padding: (1, 1)),
        Case(batch: 2, channels: 2, outputs: 64, height: 5, width: 6, kernel: (3, 5), stride: (1, 2), padding: (0, 2)),
        Case(batch: 6, channels: 16, outputs: 32, height: 28, width: 28, kernel: (3, 3), stride: (1, 1), padding: (1, 1)),
        Case(batch: 2, channels: 2, outputs: 64, height: 28, width: 28, kernel: (5, 5), stride: (2, 2), padding: (2, 2)),
    ] + (1...9).map {
        // 3x3 same convolutions, read in place: rows of 1 to 9 pixels (every first, middle and last group of
        // four, three and one), 1 to 4 rows (one row has zero rows above and below), every tile width.
        Case(batch: 2, channels: 3, outputs: 112, height: 1 + $0 % 4, width: $0, kernel: (3, 3), stride: (1, 1),
             padding: (1, 1))
    }

    /// `Σ_n Σ_oy Σ_ox gradient·input` per weight as fused multiply-adds in that order, over the taps inside
    /// the image; `[outputs, channels, kh, kw]`.
    private func fusedReference(_ x: [Float], _ gy: [Float], _ t: Case) -> [Float] {
        let (kh, kw) = t.kernel
        var out = [Float](repeating: 0, count: t.outputs * t.channels * kh * kw)
        for o in 0..<t.outputs { for c in 0..<t.channels { for ky in 0..<kh { for kx in 0..<kw {
            var total: Float = 0
            for n in 0..<t.batch { for oy in 0..<t.outputHeight { for ox in 0..<t.outputWidth {
                let iy = oy * t.stride.0 + ky - t.padding.0, ix = ox * t.stride.1 + kx - t.padding.1
                guard iy >= 0, iy < t.height, ix >= 0, ix < t.width else { continue }
                let input = x[((n * t.channels + c) * t.height + iy) * t.width + ix]
                let gradient = gy[((n * t.outputs + o) * t.outputHeight + oy) * t.outputWidth + ox]
                total = total.addingProduct(input, gradient)
            } } }
            out[((o * t.channels + c) * kh + ky) * kw + kx] = total
        } } } }
        return out
    }

    func testKernelMatchesFusedMultiplyAddChainBitForBit() throws {
        try XCTSkipIf(studio_avx512_available() == 0, "the direct weight gradient runs on AVX-512 only")
        var readInPlace = 0
        for t in cases {
            let x = random([t.batch, t.channels, t.height, t.width]).scalars
            let gy = random([t.batch, t.outputs, t.outputHeight, t.outputWidth]).scalars
            let inPlace = studio_conv_weight_gradient_in_place(t.kernel.0, t.kernel.1, t.stride.0, t.stride.1,
                                                               t.padding.0, t.padding.1, t.height, t.width,
                                                               t.outputHeight, t.outputWidth) != 0
            readInPlace += inPlace ? 1 : 0
            let padded = t.channels * (t.height + 2 * t.padding.0) * (t.width + 2 * t.padding.1)
            let plane = t.outputHeight * t.outputWidth
            var planes = [Float](repeating: .nan, count: t.batch * padded)
            var byPixel = [Float](repeating: .nan, count: t.batch * plane * t.outputs)
            for n in 0..<t.batch {
                planes.withUnsafeMutableBufferPointer { p in
                    byPixel.withUnsafeMutableBufferPointer { g in
                        studio_conv_weight_gradient_prepare(
                            Array(x[(n * t.channels * t.height * t.width)...]), Array(gy[(n * t.outputs * plane)...]),
                            t.channels, t.height, t.width, t.padding.0, t.padding.1, t.outputs, plane,
                            p.baseAddress! + n * padded, g.baseAddress! + n * plane * t.outputs)
                    }
                }
            }
            let rows = t.channels * t.kernel.0
            var packed = [Float](repeating: .nan, count: rows * t.kernel.1 * t.outputs)
            // Two calls over two runs of kernel rows, as two threads would make them.
            for (first, end) in [(0, rows / 2), (rows / 2, rows)] {
                XCTAssertEqual(studio_conv_weight_gradient(inPlace ? x : planes, byPixel, t.batch, t.channels,
                                                           t.height, t.width,
                                                           t.padding.0, t.padding.1, t.outputs, t.kernel.0, t.kernel.1,
                                                           t.stride.0, t.stride.1, t.outputHeight, t.outputWidth,
                                                           first, end, &packed), 1)
            }
            let columns = rows * t.kernel.1
            let result = (0..<(t.outputs * columns)).map { packed[($0 % columns) * t.outputs + $0 / columns] }
            XCTAssertEqual(result.map(\.bitPattern), fusedReference(x, gy, t).map(\.bitPattern), "\(t)")
        }
        XCTAssertEqual(readInPlace, 15, "the 3x3 same convolutions and the shaped 5x5 ones read their images in place")
    }

    func testTransposeMatchesIndexLoops() {
        // Whole 16x16 blocks, partial ones both ways, and a single row.
        for (rows, columns) in [(32, 48), (37, 50), (16, 5), (1, 19), (3, 16)] {
            let source = random([rows, columns]).scalars
            var result = [Float](repeating: .nan, count: rows * columns)
            studio_transpose(source, rows, columns, &result)
            let expected = (0..<(rows * columns)).map { source[($0 % rows) * columns + $0 / rows] }
            XCTAssertEqual(result.map(\.bitPattern), expected.map(\.bitPattern), "\(rows)x\(columns)")
        }
    }

    func testOtherShapesAreDeclined() throws {
        try XCTSkipIf(studio_avx512_available() == 0, "the direct weight gradient runs on AVX-512 only")
        var packed: [Float] = [7]
        // Seven outputs, then a kernel two wide.
        XCTAssertEqual(studio_conv_weight_gradient([0], [0], 1, 1, 1, 1, 0, 0, 7, 1, 1, 1, 1, 1, 1, 0, 1, &packed), 0)
        XCTAssertEqual(studio_conv_weight_gradient([0], [0], 1, 1, 1, 1, 0, 0, 16, 1, 2, 1, 1, 1, 1, 0, 1, &packed), 0)
        XCTAssertEqual(packed, [7])
    }

    func testWeightGradientsMatchReferenceLoops() {
        for t in cases {
            let x = random([t.batch, t.channels, t.height, t.width])
            let w = random([t.outputs, t.channels, t.kernel.0, t.kernel.1]).requiringGradient()
            let y = x.conv2d(weight: w, stride: t.stride, padding: t.padding)
            let gy = random(y.shape)
            let gradient = gradients(of: y, withRespectTo: [w], seed: gy)[0]!
            let expected = Tensor(shape: w.shape, scalars: fusedReference(x.scalars, gy.scalars, t))
            XCTAssertTrue(gradient.isClose(to: expected, absolute: 1e-4, relative: 1e-4), "conv2d \(t)")
        }
    }

    func testGradientsThroughTheDirectKernel() {
        let strided = checkGradients(of: { $0[0].conv2d(weight: $0[1], stride: (2, 2), padding: (2, 2)) },
                                     at: [random([2, 2, 6, 5]), random([16, 2, 5, 5])], epsilon: 1e-2)
        XCTAssertLessThan(strided.maxError, 1e-2, "conv2d 5x5 stride 2: \(strided)")
        let same = checkGradients(of: { $0[0].conv2d(weight: $0[1], padding: (1, 1)) },
                                  at: [random([2, 3, 5, 4]), random([32, 3, 3, 3])], epsilon: 1e-2)
        XCTAssertLessThan(same.maxError, 1e-2, "conv2d 3x3: \(same)")
        // A transposed convolution's weight gradient is a convolution's with the roles of its images swapped.
        let transposed = checkGradients(of: { $0[0].convTranspose2d(weight: $0[1], stride: (2, 2), padding: (1, 1)) },
                                        at: [random([2, 16, 3, 3]), random([16, 2, 4, 4])], epsilon: 1e-2)
        XCTAssertLessThan(transposed.maxError, 1e-2, "convTranspose2d 4x4 stride 2: \(transposed)")
    }

    func testOneAndTwoThreadsGiveTheSameBits() {
        let x = random([5, 8, 14, 14]), gy = random([5, 48, 14, 14])
        func run(_ threads: Int) -> [UInt32] {
            let saved = ComputeThreads.count
            ComputeThreads.count = threads
            defer { ComputeThreads.count = saved }
            let w = random([48, 8, 3, 3]).requiringGradient()
            let y = x.conv2d(weight: w, padding: (1, 1))
            return gradients(of: y, withRespectTo: [w], seed: gy)[0]!.scalars.map(\.bitPattern)
        }
        generator = RandomGenerator(seed: 5)
        let one = run(1)
        generator = RandomGenerator(seed: 5)
        XCTAssertEqual(one, run(2))
    }

    /// The runs of kernel rows the threads share start at multiples of every tile's row count: 1 for four
    /// vectors of a 5-wide kernel, 6 for one vector of a 3-wide one, 4 and 6 together 12.
    func testRowMultipleCoversEveryTileThatRuns() throws {
        guard DirectConvolution.isAvailable else { throw XCTSkip("the direct kernels need AVX-512") }
        for (outputs, width, expected) in [(256, 5, 1), (16, 3, 6), (112, 5, 4), (48, 3, 12), (64, 3, 2), (32, 4, 2)] {
            XCTAssertEqual(studio_conv_weight_gradient_row_multiple(outputs, width), expected, "\(outputs) outputs, kw \(width)")
        }
    }
}
