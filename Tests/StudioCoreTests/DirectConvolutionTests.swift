import CKernels
import XCTest
@testable import StudioCore

/// The direct 3x3 kernel: its bits against the same chain of fused multiply-adds written here (which
/// also pins its plain fallback loops to its vector loops), and the convolution ops that use it against
/// reference loops, finite differences and one and two threads.
final class DirectConvolutionTests: XCTestCase {
    private var generator = RandomGenerator(seed: 23)

    private func random(_ shape: Shape) -> Tensor {
        Tensor.randomUniform(shape, lower: -1, upper: 1, using: &generator)
    }

    /// Shapes that cover full and partial tiles of eight outputs and of 48 flat positions, rows narrower
    /// than a vector, one pixel, and a 28x28 UNet level.
    private let shapes: [(channels: Int, outputs: Int, height: Int, width: Int)] = [
        (1, 1, 1, 1), (3, 9, 5, 7), (2, 3, 4, 20), (20, 17, 7, 7), (16, 16, 28, 28), (5, 8, 14, 14), (4, 2, 3, 2),
    ]

    /// `bias + Σ_c Σ_t x·w` as fused multiply-adds over channels, then taps, with zeros outside the image.
    private func fusedReference(_ x: [Float], _ w: [Float], _ b: [Float]?, channels: Int, outputs: Int,
                                height: Int, width: Int, transposed: Bool) -> [Float] {
        var out = [Float](repeating: 0, count: outputs * height * width)
        for o in 0..<outputs { for y in 0..<height { for xo in 0..<width {
            var total = b?[o] ?? 0
            for c in 0..<channels { for t in 0..<9 {
                let iy = y + t / 3 - 1, ix = xo + t % 3 - 1
                let value = iy < 0 || iy >= height || ix < 0 || ix >= width ? 0 : x[(c * height + iy) * width + ix]
                // Forward: w is [outputs, channels, 3, 3]; transposed: w is [channels, outputs, 3, 3], flipped.
                let tap = transposed ? w[(c * outputs + o) * 9 + 8 - t] : w[(o * channels + c) * 9 + t]
                total = total.addingProduct(value, tap)
            } }
            out[(o * height + y) * width + xo] = total
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
                    studio_conv3x3_pack(w, channels, outputs, 1, &packed)
                } else {
                    studio_conv3x3_pack(w, outputs, channels, 0, &packed)
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
    }

    func testOneAndTwoThreadsGiveTheSameBits() {
        let x = random([5, 8, 14, 14]), w = random([16, 8, 3, 3]), b = random([16])
        func run(_ threads: Int) -> [UInt32] {
            let saved = ComputeThreads.count
            ComputeThreads.count = threads
            defer { ComputeThreads.count = saved }
            return x.conv2d(weight: w, bias: b, padding: (1, 1)).scalars.map(\.bitPattern)
        }
        XCTAssertEqual(run(1), run(2))
    }
}
