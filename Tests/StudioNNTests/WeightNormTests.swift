import XCTest
import StudioCore
import StudioNN

/// Weight normalisation of a linear layer against PyTorch 1.13's `torch.nn.utils.weight_norm`
/// (Fixtures/weight_norm.json, made by make_weight_norm.py), against finite differences, and its names.
final class WeightNormTests: XCTestCase {
    struct Fixture: Decodable {
        let torchVersion: String
        let stateNames: [StateName]
        let bias: FixtureTensor, weightG: FixtureTensor, weightV: FixtureTensor
        let input: FixtureTensor, upstream: FixtureTensor, output: FixtureTensor
        let gradInput: FixtureTensor, gradWeightG: FixtureTensor, gradWeightV: FixtureTensor, gradBias: FixtureTensor
    }

    func testLinearMatchesPyTorch() throws {
        let fixture = try loadFixture("weight_norm", as: Fixture.self)
        XCTAssertTrue(fixture.torchVersion.hasPrefix("1.13"))
        var generator = RandomGenerator(seed: 1)
        let layer = Linear(inputSize: 5, outputSize: 3, using: &generator).weightNormalized()
        XCTAssertEqual(layer.stateTensors().map { StateName(name: $0.0, shape: $0.1.shape.dimensions) }, fixture.stateNames)
        try layer.loadState(["bias": fixture.bias.tensor, "weight_g": fixture.weightG.tensor, "weight_v": fixture.weightV.tensor])
        let input = fixture.input.tensor.requiringGradient()
        let output = layer(input, context: ForwardContext(training: true))
        assertClose(output, fixture.output, "output")
        let gain = try XCTUnwrap(layer.weightNormGain), bias = try XCTUnwrap(layer.bias)
        let grads = gradients(of: output, withRespectTo: [input, gain.value, layer.weight.value, bias.value], seed: fixture.upstream.tensor)
        assertClose(grads[0], fixture.gradInput, "input gradient")
        assertClose(grads[1], fixture.gradWeightG, "weight_g gradient")
        assertClose(grads[2], fixture.gradWeightV, "weight_v gradient")
        assertClose(grads[3], fixture.gradBias, "bias gradient")
    }

    /// g starts as the row norms, so a fresh reparametrised layer computes what the plain one did.
    func testReparametrisingKeepsTheLayersOutput() {
        var generator = RandomGenerator(seed: 4)
        let plain = Linear(inputSize: 6, outputSize: 4, using: &generator)
        let x = Tensor.randomNormal([3, 6], using: &generator)
        let before = plain(x).scalars, after = plain.weightNormalized()(x).scalars
        for (a, b) in zip(before, after) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    /// Central differences of sum(output · w) in every scalar of weight_g and weight_v.
    func testGradientsMatchFiniteDifferences() throws {
        var generator = RandomGenerator(seed: 5)
        let x = Tensor.randomNormal([2, 4], using: &generator), w = Tensor.randomNormal([2, 3], using: &generator)
        let layer = Linear(inputSize: 4, outputSize: 3, using: &generator).weightNormalized()
        let gain = try XCTUnwrap(layer.weightNormGain)
        gain.assign(Tensor.randomUniform([3, 1], lower: 0.5, upper: 2, using: &generator))
        func objective() -> Double { zip(layer(x).scalars, w.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) } }
        let analytic = gradients(of: layer(x.requiringGradient()), withRespectTo: [gain.value, layer.weight.value], seed: w)
        for (index, parameter) in [gain, layer.weight].enumerated() {
            let grad = try XCTUnwrap(analytic[index]).scalars
            let start = parameter.value.scalars
            for i in start.indices {
                var up = start, down = start
                up[i] += 1e-2
                down[i] -= 1e-2
                parameter.assign(Tensor(shape: parameter.shape, scalars: up))
                let plus = objective()
                parameter.assign(Tensor(shape: parameter.shape, scalars: down))
                let minus = objective()
                parameter.assign(Tensor(shape: parameter.shape, scalars: start))
                XCTAssertEqual(Double(grad[i]), (plus - minus) / 2e-2, accuracy: 1e-2 * Swift.max(1, abs(Double(grad[i]))), "parameter \(index) scalar \(i)")
            }
        }
    }
}
