import XCTest
import StudioCore
import StudioNN

/// Convolution, pooling and upsampling layers: PyTorch 1.13's values (Fixtures/layers.json),
/// gradient rows, and their default initialisation.
final class ConvolutionLayerTests: XCTestCase {
    private var generator = RandomGenerator(seed: 17)

    private func random(_ shape: Shape, lower: Float = -1, upper: Float = 1) -> Tensor {
        Tensor.randomUniform(shape, lower: lower, upper: upper, using: &generator)
    }

    func testConv2dMatchesPyTorch() throws {
        let c = try LayersFixture.load().conv2d
        let s = try XCTUnwrap(c.stride), p = try XCTUnwrap(c.padding)
        let layer = Conv2d(weight: try XCTUnwrap(c.weight).tensor, bias: c.bias?.tensor, stride: (s, s), padding: (p, p))
        assertMatchesFixture("conv2d", layer, c, weight: layer.weight, bias: layer.bias, absolute: 1e-4)
    }

    func testConvTranspose2dMatchesPyTorch() throws {
        let c = try LayersFixture.load().convTranspose2d
        let s = try XCTUnwrap(c.stride), p = try XCTUnwrap(c.padding), o = try XCTUnwrap(c.outputPadding)
        let layer = ConvTranspose2d(weight: try XCTUnwrap(c.weight).tensor, bias: c.bias?.tensor, stride: (s, s),
                                    padding: (p, p), outputPadding: (o, o))
        assertMatchesFixture("conv_transpose2d", layer, c, weight: layer.weight, bias: layer.bias, absolute: 1e-4)
    }

    func testConv1dMatchesPyTorch() throws {
        let c = try LayersFixture.load().conv1d
        let layer = Conv1d(weight: try XCTUnwrap(c.weight).tensor, bias: c.bias?.tensor, stride: try XCTUnwrap(c.stride),
                           padding: try XCTUnwrap(c.padding))
        assertMatchesFixture("conv1d", layer, c, weight: layer.weight, bias: layer.bias, absolute: 1e-4)
    }

    func testConvTranspose1dMatchesPyTorch() throws {
        let c = try LayersFixture.load().convTranspose1d
        let layer = ConvTranspose1d(weight: try XCTUnwrap(c.weight).tensor, bias: c.bias?.tensor,
                                    stride: try XCTUnwrap(c.stride), padding: try XCTUnwrap(c.padding),
                                    outputPadding: try XCTUnwrap(c.outputPadding))
        assertMatchesFixture("conv_transpose1d", layer, c, weight: layer.weight, bias: layer.bias, absolute: 1e-4)
    }

    private func assertLayerGradients(_ name: String, _ layer: any Layer, input: Tensor,
                                      file: StaticString = #filePath, line: UInt = #line) {
        let report = layerGradientError(parameters: layer.parameters, input: input) { layer($0!) }
        XCTAssertLessThan(report.maxError, 1e-2, "\(name): \(report)", file: file, line: line)
    }

    func testGradients() {
        var g = RandomGenerator(seed: 5)
        assertLayerGradients("conv2d", Conv2d(inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: 2, padding: 1,
                                              using: &g), input: random([2, 2, 5, 5]))
        assertLayerGradients("conv2d rectangular, no bias",
                             Conv2d(inputChannels: 2, outputChannels: 2, kernelSize: (2, 3), stride: (1, 2),
                                    padding: (1, 0), bias: false, using: &g), input: random([1, 2, 4, 5]))
        assertLayerGradients("conv transpose 2d",
                             ConvTranspose2d(inputChannels: 3, outputChannels: 2, kernelSize: 3, stride: 2, padding: 1,
                                             outputPadding: 1, using: &g), input: random([2, 3, 3, 3]))
        assertLayerGradients("conv1d", Conv1d(inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: 2, padding: 1,
                                              using: &g), input: random([2, 2, 7]))
        assertLayerGradients("conv transpose 1d",
                             ConvTranspose1d(inputChannels: 3, outputChannels: 2, kernelSize: 4, stride: 2, padding: 1,
                                             outputPadding: 1, using: &g), input: random([2, 3, 4]))
        assertLayerGradients("avg pool", AvgPool2d(kernelSize: 2), input: random([2, 2, 4, 4]))
        assertLayerGradients("upsample", Upsample(scale: 2), input: random([1, 2, 2, 3]))
        // Distinct values far apart, so that no step changes which one is largest.
        let distinct = Tensor(shape: [1, 2, 4, 4], scalars: (0..<32).map { Float(($0 * 7) % 32) * 0.1 })
        assertLayerGradients("max pool", MaxPool2d(kernelSize: 2, stride: 2), input: distinct)
    }

    /// The gradient of a gradient norm through a convolutional critic, as WGAN-GP takes it.
    func testSecondOrderThroughConvolutions() {
        var g = RandomGenerator(seed: 7)
        let critic = Sequential {
            Conv2d(inputChannels: 1, outputChannels: 2, kernelSize: 3, stride: 2, padding: 1, using: &g)
            SiLU()
            ConvTranspose2d(inputChannels: 2, outputChannels: 2, kernelSize: 2, stride: 2, using: &g)
            AvgPool2d(kernelSize: 2)
            Flatten()
            Linear(inputSize: 8, outputSize: 1, using: &g)
        }
        let report = layerGradientError(parameters: critic.parameters, input: random([2, 1, 4, 4])) { x in
            let score = critic(x!).sum()
            let grad = gradients(of: score, withRespectTo: [x!], createGraph: true)[0]!
            return (grad.squared().sum(alongAxes: [1, 2, 3]) + 1e-6).sqrt()
        }
        XCTAssertLessThan(report.maxError, 1e-2, "gradient penalty: \(report)")
    }

    func testPoolingAndUpsamplingShapesAndValues() {
        let x = Tensor(shape: [1, 1, 2, 4], scalars: [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(AvgPool2d(kernelSize: 2)(x).scalars, [3.5, 5.5])
        XCTAssertEqual(MaxPool2d(kernelSize: 2)(x).scalars, [6, 8])
        XCTAssertEqual(MaxPool2d(kernelSize: (1, 2), stride: (1, 1))(x).shape, [1, 1, 2, 3])
        let up = Upsample(scale: 2)(x)
        XCTAssertEqual(up.shape, [1, 1, 4, 8])
        XCTAssertEqual(Array(up.scalars[0..<8]), [1, 1, 2, 2, 3, 3, 4, 4])
    }

    func testDefaultInitialisationUsesPyTorchsFanIn() {
        var g = RandomGenerator(seed: 6)
        func maxAbs(_ p: Parameter?) -> Float { p?.value.scalars.map { Swift.abs($0) }.max() ?? 0 }
        // fan-in = in · kh · kw = 16: bound 0.25.
        let conv = Conv2d(inputChannels: 4, outputChannels: 40, kernelSize: 2, using: &g)
        XCTAssertLessThanOrEqual(maxAbs(conv.weight), 0.25)
        XCTAssertGreaterThan(maxAbs(conv.weight), 0.24)
        XCTAssertLessThanOrEqual(maxAbs(conv.bias), 0.25)
        // PyTorch takes a transposed convolution's fan-in from weight axis 1 (output channels):
        // 4 · 2 · 2 = 16, bound 0.25, although 40 input channels would give 0.079.
        let transposed = ConvTranspose2d(inputChannels: 40, outputChannels: 4, kernelSize: 2, using: &g)
        XCTAssertEqual(transposed.weight.shape, [40, 4, 2, 2])
        XCTAssertLessThanOrEqual(maxAbs(transposed.weight), 0.25)
        XCTAssertGreaterThan(maxAbs(transposed.weight), 0.24)
        XCTAssertGreaterThan(maxAbs(transposed.bias), 0.15)
        let conv1 = Conv1d(inputChannels: 4, outputChannels: 40, kernelSize: 4, using: &g)
        XCTAssertLessThanOrEqual(maxAbs(conv1.weight), 0.25)
        XCTAssertGreaterThan(maxAbs(conv1.weight), 0.24)
        let transposed1 = ConvTranspose1d(inputChannels: 40, outputChannels: 4, kernelSize: 4, using: &g)
        XCTAssertEqual(transposed1.weight.shape, [40, 4, 4])
        XCTAssertLessThanOrEqual(maxAbs(transposed1.weight), 0.25)
        XCTAssertGreaterThan(maxAbs(transposed1.weight), 0.24)
    }
}
