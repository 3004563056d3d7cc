import XCTest
import StudioCore
import StudioNN

/// One forward pass of a spectrally normalised layer recorded by make_spectral_norm.py: its output,
/// the gradients of sum(output · upstream), and u and v after it.
struct SpectralNormForward: Decodable {
    let input: FixtureTensor
    let upstream: FixtureTensor
    let output: FixtureTensor
    let gradInput: FixtureTensor
    let gradWeightOrig: FixtureTensor
    let gradBias: FixtureTensor
    let weightU: FixtureTensor
    let weightV: FixtureTensor
}

/// A layer's state before, two training-mode forwards, then one evaluation-mode forward.
struct SpectralNormCase: Decodable {
    let options: [String: Int]
    let weightOrig: FixtureTensor
    let bias: FixtureTensor
    let weightU: FixtureTensor
    let weightV: FixtureTensor
    let training: [SpectralNormForward]
    let evaluation: SpectralNormForward

    /// The state under PyTorch's `state_dict()` names.
    var state: [String: Tensor] {
        ["weight_orig": weightOrig.tensor, "bias": bias.tensor, "weight_u": weightU.tensor, "weight_v": weightV.tensor]
    }
}

/// A `[name, shape]` pair of a PyTorch `state_dict()`.
struct StateName: Decodable, Equatable {
    let name: String
    let shape: [Int]

    init(name: String, shape: [Int]) {
        self.name = name
        self.shape = shape
    }

    init(from decoder: Decoder) throws {
        var pair = try decoder.unkeyedContainer()
        name = try pair.decode(String.self)
        shape = try pair.decode([Int].self)
    }
}

/// Everything in spectral_norm.json.
struct SpectralNormFixture: Decodable {
    let torchVersion: String
    let linear: SpectralNormCase
    let conv2d: SpectralNormCase
    let convTranspose2d: SpectralNormCase
    let conv1d: SpectralNormCase
    let convTranspose1d: SpectralNormCase
    let stateNames: [StateName]

    static func load() throws -> SpectralNormFixture {
        try loadFixture("spectral_norm", as: SpectralNormFixture.self)
    }
}

/// Spectral normalisation against PyTorch 1.13's `torch.nn.utils.spectral_norm` (Fixtures/spectral_norm.json,
/// made by make_spectral_norm.py), against finite differences, and its state names.
final class SpectralNormTests: XCTestCase {
    private var generator = RandomGenerator(seed: 3)

    func testFixtureNamesItsTorchVersion() throws {
        XCTAssertTrue(try SpectralNormFixture.load().torchVersion.hasPrefix("1.13"))
    }

    /// Loads the case's state through the PyTorch names, then runs its three forwards.
    private func assertMatchesPyTorch<L: SpectrallyNormalizable>(_ name: String, _ layer: L, _ fixture: SpectralNormCase,
                                                                 file: StaticString = #filePath, line: UInt = #line) throws {
        try layer.loadState(fixture.state)
        let norm = try XCTUnwrap(layer.spectralNorm, file: file, line: line)
        let bias = try XCTUnwrap(layer.bias, file: file, line: line)
        let passes = fixture.training.map { ($0, true) } + [(fixture.evaluation, false)]
        for (index, (pass, training)) in passes.enumerated() {
            let what = "\(name) \(training ? "training forward \(index + 1)" : "evaluation forward")"
            let input = pass.input.tensor.requiringGradient()
            let output = layer(input, context: ForwardContext(training: training))
            assertClose(output, pass.output, "\(what) output", file: file, line: line)
            assertClose(norm.u.value, pass.weightU, "\(what) weight_u", file: file, line: line)
            assertClose(norm.v.value, pass.weightV, "\(what) weight_v", file: file, line: line)
            let grads = gradients(of: output, withRespectTo: [input, layer.weight.value, bias.value],
                                  seed: pass.upstream.tensor)
            assertClose(grads[0], pass.gradInput, "\(what) input gradient", file: file, line: line)
            assertClose(grads[1], pass.gradWeightOrig, "\(what) weight_orig gradient", file: file, line: line)
            assertClose(grads[2], pass.gradBias, "\(what) bias gradient", file: file, line: line)
        }
        XCTAssertEqual(layer.weight.value.scalars, fixture.weightOrig.tensor.scalars,
                       "\(name): forwards must not change weight_orig", file: file, line: line)
    }

    func testLinearMatchesPyTorch() throws {
        let c = try SpectralNormFixture.load().linear
        let layer = Linear(weight: c.weightOrig.tensor, bias: c.bias.tensor).spectrallyNormalized(using: &generator)
        try assertMatchesPyTorch("linear", layer, c)
    }

    func testConv2dMatchesPyTorch() throws {
        let c = try SpectralNormFixture.load().conv2d
        let s = try XCTUnwrap(c.options["stride"]), p = try XCTUnwrap(c.options["padding"])
        let layer = Conv2d(weight: c.weightOrig.tensor, bias: c.bias.tensor, stride: (s, s), padding: (p, p))
        try assertMatchesPyTorch("conv2d", layer.spectrallyNormalized(using: &generator), c)
    }

    func testConvTranspose2dMatchesPyTorch() throws {
        let c = try SpectralNormFixture.load().convTranspose2d
        let s = try XCTUnwrap(c.options["stride"]), p = try XCTUnwrap(c.options["padding"])
        let layer = ConvTranspose2d(weight: c.weightOrig.tensor, bias: c.bias.tensor, stride: (s, s), padding: (p, p))
        try assertMatchesPyTorch("conv transpose 2d", layer.spectrallyNormalized(using: &generator), c)
    }

    func testConv1dMatchesPyTorch() throws {
        let c = try SpectralNormFixture.load().conv1d
        let layer = Conv1d(weight: c.weightOrig.tensor, bias: c.bias.tensor, stride: try XCTUnwrap(c.options["stride"]),
                           padding: try XCTUnwrap(c.options["padding"]))
        try assertMatchesPyTorch("conv1d", layer.spectrallyNormalized(using: &generator), c)
    }

    func testConvTranspose1dMatchesPyTorch() throws {
        let c = try SpectralNormFixture.load().convTranspose1d
        let layer = ConvTranspose1d(weight: c.weightOrig.tensor, bias: c.bias.tensor,
                                    stride: try XCTUnwrap(c.options["stride"]), padding: try XCTUnwrap(c.options["padding"]),
                                    outputPadding: try XCTUnwrap(c.options["outputPadding"]))
        try assertMatchesPyTorch("conv transpose 1d", layer.spectrallyNormalized(using: &generator), c)
    }

    /// The state_dict of PyTorch's `nn.Sequential` of spectrally normalised layers: names, order, shapes.
    func testStateNamesMatchPyTorch() throws {
        let expected = try SpectralNormFixture.load().stateNames
        let model = Sequential {
            Conv2d(inputChannels: 1, outputChannels: 4, kernelSize: 4, stride: 2, padding: 1, using: &generator)
                .spectrallyNormalized(using: &generator)
            LeakyReLU(slope: 0.2)
            ConvTranspose2d(inputChannels: 4, outputChannels: 3, kernelSize: 4, stride: 2, padding: 1, bias: false,
                            using: &generator).spectrallyNormalized(using: &generator)
            Flatten()
            Linear(inputSize: 48, outputSize: 1, using: &generator).spectrallyNormalized(using: &generator)
        }
        XCTAssertEqual(model.stateTensors().map { StateName(name: $0.0, shape: $0.1.shape.dimensions) }, expected)
        XCTAssertEqual(model.namedParameters.map(\.name),
                       ["0.bias", "0.weight_orig", "2.weight_orig", "4.bias", "4.weight_orig"],
                       "u and v are buffers: optimizers never see them")
        XCTAssertEqual(model.namedBuffers.map(\.name), ["0.weight_u", "0.weight_v", "2.weight_u", "2.weight_v",
                                                        "4.weight_u", "4.weight_v"])
        // Initial u and v are unit vectors, as PyTorch's normalised draws.
        for (name, buffer) in model.namedBuffers {
            let norm = buffer.value.scalars.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
            XCTAssertEqual(norm, 1, accuracy: 1e-5, name)
        }
    }

    func testWithoutSpectralNormTheLayerIsUnchanged() {
        var a = RandomGenerator(seed: 9), b = RandomGenerator(seed: 9)
        let plain = Conv2d(inputChannels: 2, outputChannels: 3, kernelSize: 3, using: &a)
        let normalised = Conv2d(inputChannels: 2, outputChannels: 3, kernelSize: 3, using: &b).spectrallyNormalized(using: &b)
        XCTAssertNil(plain.spectralNorm)
        XCTAssertEqual(plain.stateTensors().map(\.0), ["weight", "bias"])
        XCTAssertEqual(normalised.weight.value.scalars, plain.weight.value.scalars, "u and v are drawn after the weights")
        XCTAssertEqual(normalised.bias?.value.scalars, plain.bias?.value.scalars)
    }

    /// Evaluation mode (u and v fixed): central differences wrt the input, weight_orig and the bias.
    func testGradientsMatchFiniteDifferences() {
        func check(_ name: String, _ layer: some SpectrallyNormalizable, input shape: Shape) {
            // A few training forwards first, so that u and v are near the singular vectors, not random.
            let warmup = Tensor.randomUniform(shape, lower: -1, upper: 1, using: &generator)
            for _ in 0..<3 { _ = withoutGradients { layer(warmup, context: ForwardContext(training: true)) } }
            let input = Tensor.randomUniform(shape, lower: -1, upper: 1, using: &generator)
            let report = layerGradientError(parameters: layer.parameters, input: input) { x in
                layer(x!, context: .inference)
            }
            XCTAssertLessThan(report.maxError, 1e-2, "\(name): \(report)")
        }
        check("linear", Linear(inputSize: 4, outputSize: 3, using: &generator).spectrallyNormalized(using: &generator),
              input: [2, 4])
        check("conv2d", Conv2d(inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: 2, padding: 1, using: &generator)
            .spectrallyNormalized(using: &generator), input: [2, 2, 5, 5])
        check("conv transpose 2d", ConvTranspose2d(inputChannels: 3, outputChannels: 2, kernelSize: 4, stride: 2, padding: 1,
                                                   using: &generator).spectrallyNormalized(using: &generator),
              input: [1, 3, 3, 3])
        check("conv1d", Conv1d(inputChannels: 2, outputChannels: 3, kernelSize: 3, using: &generator)
            .spectrallyNormalized(using: &generator), input: [2, 2, 6])
        check("conv transpose 1d", ConvTranspose1d(inputChannels: 3, outputChannels: 2, kernelSize: 4, stride: 2,
                                                   using: &generator).spectrallyNormalized(using: &generator),
              input: [2, 3, 4])
    }

    /// The gradient of a gradient norm through normalised layers, as WGAN-GP and R1 take it: the
    /// weight_orig gradients go through σ twice.
    func testSecondOrderThroughNormalisedLayers() {
        let critic = Sequential {
            Conv2d(inputChannels: 1, outputChannels: 2, kernelSize: 3, stride: 2, padding: 1, using: &generator)
                .spectrallyNormalized(using: &generator)
            SiLU()
            Flatten()
            Linear(inputSize: 8, outputSize: 1, using: &generator).spectrallyNormalized(using: &generator)
        }
        let report = layerGradientError(parameters: critic.parameters,
                                        input: Tensor.randomUniform([2, 1, 4, 4], lower: -1, upper: 1, using: &generator)) { x in
            let score = critic(x!).sum()
            let grad = gradients(of: score, withRespectTo: [x!], createGraph: true)[0]!
            return (grad.squared().sum(alongAxes: [1, 2, 3]) + 1e-6).sqrt()
        }
        XCTAssertLessThan(report.maxError, 1e-2, "gradient penalty: \(report)")
    }
}
