import CKernels
import XCTest
@testable import StudioCore

/// The Winograd F(2x2, 3x3) kernel: values against a direct sum in double precision for odd and even
/// sizes, rows wider than a vector, partial groups of images and partial blocks of outputs, in both
/// directions; and the same bits for an image whichever group it is computed in.
final class WinogradConvolutionTests: XCTestCase {
    private var generator = RandomGenerator(seed: 31)

    private func random(_ count: Int) -> [Float] {
        Tensor.randomUniform([count], lower: -1, upper: 1, using: &generator).scalars
    }

    /// `bias + Σ_c Σ_ky Σ_kx x·w` over one image with zeros outside it, stride 1, padding 1; `w` is
    /// `[outputs, channels, 3, 3]`, or `[channels, outputs, 3, 3]` read flipped when `transposed`.
    private func reference(_ x: ArraySlice<Float>, _ w: [Float], _ b: [Float], channels: Int, outputs: Int, height: Int,
                           width: Int, transposed: Bool) -> [Float] {
        let x = Array(x)
        var out = [Float](repeating: 0, count: outputs * height * width)
        for o in 0..<outputs { for y in 0..<height { for xo in 0..<width {
            var total = Double(b[o])
            for c in 0..<channels { for ky in 0..<3 { for kx in 0..<3 {
                let iy = y + ky - 1, ix = xo + kx - 1
                guard iy >= 0, iy < height, ix >= 0, ix < width else { continue }
                let tap = transposed ? w[((c * outputs + o) * 3 + 2 - ky) * 3 + 2 - kx] : w[((o * channels + c) * 3 + ky) * 3 + kx]
                total += Double(x[(c * height + iy) * width + ix]) * Double(tap)
            } } }
            out[(o * height + y) * width + xo] = Float(total)
        } } }
        return out
    }

    /// The kernel on `count` images; nil where the processor lacks AVX-512.
    private func winograd(_ x: [Float], count: Int, channels: Int, height: Int, width: Int, weight: [Float],
                          weightOutputs: Int, weightChannels: Int, transposed: Bool, bias: [Float]) -> [Float]? {
        let outputs = transposed ? weightChannels : weightOutputs
        var packed = [Float](repeating: 0, count: 16 * weightOutputs * weightChannels)
        studio_winograd3x3_pack(weight, weightOutputs, weightChannels, transposed ? 1 : 0, &packed)
        var scratch = [Float](repeating: 0, count: studio_winograd3x3_scratch_count(channels, height, width, outputs))
        var result = [Float](repeating: .nan, count: count * outputs * height * width)
        let done = studio_winograd3x3(x, count, channels, height, width, packed, outputs, bias, &result, &scratch)
        return done == 0 ? nil : result
    }

    func testValuesMatchADirectSum() throws {
        let cases: [(count: Int, channels: Int, outputs: Int, height: Int, width: Int)] = [
            (1, 8, 8, 7, 7), (5, 9, 17, 5, 3), (16, 16, 16, 28, 28), (3, 12, 10, 3, 20), (2, 8, 9, 1, 1), (16, 32, 8, 14, 14),
        ]
        for (count, channels, outputs, height, width) in cases {
            for transposed in [false, true] {
                let x = random(count * channels * height * width), bias = random(outputs)
                let w = transposed ? random(channels * outputs * 9) : random(outputs * channels * 9)
                guard let result = winograd(x, count: count, channels: channels, height: height, width: width, weight: w,
                                            weightOutputs: transposed ? channels : outputs,
                                            weightChannels: transposed ? outputs : channels,
                                            transposed: transposed, bias: bias)
                else { throw XCTSkip("the Winograd kernel needs AVX-512") }
                let image = channels * height * width
                var expected: [Float] = []
                for n in 0..<count {
                    expected += reference(x[(n * image)..<((n + 1) * image)], w, bias, channels: channels, outputs: outputs,
                                          height: height, width: width, transposed: transposed)
                }
                let worst = zip(result, expected).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
                XCTAssertLessThan(worst, 2e-5, "\(count) images \(channels) -> \(outputs), \(height)x\(width), transposed \(transposed)")
            }
        }
    }

    func testAnImageHasTheSameBitsAloneAndInAFullGroup() throws {
        let (channels, outputs, height, width) = (10, 12, 9, 11)
        let image = channels * height * width
        let x = random(16 * image), w = random(outputs * channels * 9), bias = random(outputs)
        func run(_ images: [Float], _ count: Int) -> [Float]? {
            winograd(images, count: count, channels: channels, height: height, width: width, weight: w,
                     weightOutputs: outputs, weightChannels: channels, transposed: false, bias: bias)
        }
        guard let group = run(x, 16) else { throw XCTSkip("the Winograd kernel needs AVX-512") }
        let plane = outputs * height * width
        for n in [0, 7, 15] {
            let alone = run(Array(x[(n * image)..<((n + 1) * image)]), 1)!
            XCTAssertEqual(alone.map(\.bitPattern), group[(n * plane)..<((n + 1) * plane)].map(\.bitPattern), "image \(n)")
        }
    }

    func testConvolutionsTakeItAndKeepTheirGradients() {
        // 8 and more channels each way: the convolution runs as Winograd on AVX-512, directly elsewhere.
        let inputs = [Tensor(shape: [3, 8, 5, 6], scalars: random(3 * 8 * 30)), Tensor(shape: [8, 8, 3, 3], scalars: random(576)),
                      Tensor(shape: [8], scalars: random(8))]
        let report = checkGradients(of: { $0[0].conv2d(weight: $0[1], bias: $0[2], padding: (1, 1)) }, at: inputs,
                                    epsilon: 1e-2)
        XCTAssertLessThan(report.maxError, 1e-2, "conv2d 3x3 same, 8 -> 8: \(report)")
    }
}
