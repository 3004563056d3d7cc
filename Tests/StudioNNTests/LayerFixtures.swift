import XCTest
import StudioCore
import StudioNN

/// One module evaluation recorded by make_fixtures.py: input, upstream gradient, output, and the
/// gradients of sum(output · upstream) with respect to the input and each parameter.
struct LayerCase: Decodable {
    let input: FixtureTensor
    let upstream: FixtureTensor
    let output: FixtureTensor
    let gradInput: FixtureTensor
    let weight: FixtureTensor?
    let bias: FixtureTensor?
    let gradWeight: FixtureTensor?
    let gradBias: FixtureTensor?
    let runningMean: FixtureTensor?
    let runningVar: FixtureTensor?
    let numBatchesTracked: Int?
    let stride: Int?
    let padding: Int?
    let outputPadding: Int?
}

/// Batch norm over three training steps, then one evaluation step.
struct BatchNormFixture: Decodable {
    let weight: FixtureTensor
    let bias: FixtureTensor
    let steps: [LayerCase]
    let eval: LayerCase
}

/// Everything in layers.json.
struct LayersFixture: Decodable {
    let torchVersion: String
    let linear: LayerCase
    let conv2d: LayerCase
    let convTranspose2d: LayerCase
    let conv1d: LayerCase
    let convTranspose1d: LayerCase
    let batchNorm1d: BatchNormFixture
    let batchNorm1dNcl: BatchNormFixture
    let batchNorm2d: BatchNormFixture
    let groupNorm: LayerCase
    let layerNorm: LayerCase

    static func load() throws -> LayersFixture {
        try loadFixture("layers", as: LayersFixture.self)
    }
}

/// Runs `layer` on the case's input and compares the output and the gradients with respect to
/// the input and to `weight` / `bias` (when given) with PyTorch's.
func assertMatchesFixture(_ name: String, _ layer: any Layer, _ fixture: LayerCase, training: Bool = false,
                          weight: Parameter? = nil, bias: Parameter? = nil, absolute: Float = 1e-5,
                          file: StaticString = #filePath, line: UInt = #line) {
    let input = fixture.input.tensor.requiringGradient()
    let output = layer(input, context: ForwardContext(training: training))
    assertClose(output, fixture.output, "\(name) output", absolute: absolute, file: file, line: line)
    let targets = [input] + [weight, bias].compactMap { $0?.value }
    let grads = gradients(of: output, withRespectTo: targets, seed: fixture.upstream.tensor)
    assertClose(grads[0], fixture.gradInput, "\(name) input gradient", absolute: absolute, file: file, line: line)
    var next = 1
    if weight != nil {
        assertClose(grads[next], fixture.gradWeight, "\(name) weight gradient", absolute: absolute, file: file, line: line)
        next += 1
    }
    if bias != nil {
        assertClose(grads[next], fixture.gradBias, "\(name) bias gradient", absolute: absolute, file: file, line: line)
    }
}
