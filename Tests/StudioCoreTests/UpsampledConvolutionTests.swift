import XCTest
@testable import StudioCore

/// `conv2dAfterNearestUpsampling`, a 3x3 convolution of a nearest 2x upsampling folded into a transposed
/// convolution: its values and gradients against upsampling and convolving, and finite differences.
final class UpsampledConvolutionTests: XCTestCase {
    private var generator = RandomGenerator(seed: 71)

    private func random(_ shape: Shape) -> Tensor {
        Tensor.randomUniform(shape, lower: -1, upper: 1, using: &generator)
    }

    /// Odd and even sides, one pixel, and the UNet's upsampling layers (32 channels, 7x7 and 14x14, which
    /// the direct transposed-convolution kernels take).
    private let shapes: [(batch: Int, channels: Int, outputs: Int, height: Int, width: Int)] = [
        (2, 3, 5, 3, 4), (1, 2, 3, 1, 1), (3, 4, 2, 5, 2), (2, 32, 32, 7, 7), (2, 32, 32, 14, 14),
    ]

    func testMatchesUpsamplingThenConvolving() {
        for t in shapes {
            let x = random([t.batch, t.channels, t.height, t.width]).requiringGradient()
            let w = random([t.outputs, t.channels, 3, 3]).requiringGradient()
            let b = random([t.outputs]).requiringGradient()
            let seed = random([t.batch, t.outputs, 2 * t.height, 2 * t.width])
            let folded = x.conv2dAfterNearestUpsampling(weight: w, bias: b)
            let direct = x.upsampledNearest(scale: 2).conv2d(weight: w, bias: b, padding: (1, 1))
            XCTAssertEqual(folded.shape, direct.shape, "\(t)")
            XCTAssertTrue(folded.isClose(to: direct, absolute: 1e-5, relative: 1e-5), "values \(t)")
            let foldedGradients = gradients(of: folded, withRespectTo: [x, w, b], seed: seed)
            let directGradients = gradients(of: direct, withRespectTo: [x, w, b], seed: seed)
            for (name, index) in [("input", 0), ("weight", 1), ("bias", 2)] {
                let close = foldedGradients[index]!.isClose(to: directGradients[index]!, absolute: 1e-4, relative: 1e-5)
                XCTAssertTrue(close, "\(name) gradient \(t)")
            }
        }
    }

    func testGradientsMatchFiniteDifferences() {
        let report = checkGradients(of: { $0[0].conv2dAfterNearestUpsampling(weight: $0[1], bias: $0[2]) },
                                    at: [random([2, 3, 3, 4]), random([2, 3, 3, 3]), random([2])], epsilon: 1e-2)
        XCTAssertLessThan(report.maxError, 1e-2, "\(report)")
    }
}
