import XCTest
import StudioCore
@testable import StudioNN

/// One row per layer: central differences in Double against autograd, for the input and every parameter.
final class LayerGradientTests: XCTestCase {
    private var generator = RandomGenerator(seed: 11)

    private func random(_ shape: Shape, lower: Float = -1, upper: Float = 1) -> Tensor {
        Tensor.randomUniform(shape, lower: lower, upper: upper, using: &generator)
    }

    /// Checks `layer` at `input` with `training` contexts that all start from the same generator,
    /// so that every evaluation draws the same dropout mask.
    private func assertLayerGradients(_ name: String, _ layer: any Layer, input: Tensor, training: Bool = false,
                                      tolerance: Double = 1e-2, epsilon: Float = 1e-2,
                                      file: StaticString = #filePath, line: UInt = #line) {
        let report = layerGradientError(parameters: layer.parameters, input: input, epsilon: epsilon) { x in
            layer(x!, context: ForwardContext(training: training, generator: RandomGenerator(seed: 5)))
        }
        XCTAssertLessThan(report.maxError, tolerance, "\(name): \(report)", file: file, line: line)
    }

    /// Gives every parameter random values, so that rows do not pass by symmetry (weights 1, biases 0).
    private func randomized<L: Layer>(_ layer: L) -> L {
        for p in layer.parameters { p.assign(random(p.shape, lower: 0.5, upper: 1.5)) }
        return layer
    }

    func testLinear() {
        var g = RandomGenerator(seed: 1)
        assertLayerGradients("linear", Linear(inputSize: 4, outputSize: 3, using: &g), input: random([2, 4]))
        assertLayerGradients("linear without bias", Linear(inputSize: 4, outputSize: 3, bias: false, using: &g),
                             input: random([2, 4]))
        assertLayerGradients("linear rank 3", Linear(inputSize: 4, outputSize: 3, using: &g), input: random([2, 2, 4]))
    }

    func testBatchNorm() {
        assertLayerGradients("batch norm 1d training", randomized(BatchNorm1d(featureCount: 3)),
                             input: random([4, 3], lower: -2, upper: 2), training: true)
        assertLayerGradients("batch norm 1d NCL training", randomized(BatchNorm1d(featureCount: 3)),
                             input: random([2, 3, 3], lower: -2, upper: 2), training: true)
        assertLayerGradients("batch norm 2d training", randomized(BatchNorm2d(featureCount: 2)),
                             input: random([2, 2, 2, 3], lower: -2, upper: 2), training: true)
        let evaluated = randomized(BatchNorm2d(featureCount: 2))
        evaluated.runningMean.value = random([2])
        evaluated.runningVariance.value = random([2], lower: 0.5, upper: 2)
        assertLayerGradients("batch norm 2d evaluation", evaluated, input: random([2, 2, 2, 3]))
    }

    func testGroupAndLayerNorm() {
        assertLayerGradients("group norm", randomized(GroupNorm(groupCount: 2, channelCount: 4)),
                             input: random([2, 4, 2, 2], lower: -2, upper: 2))
        assertLayerGradients("layer norm", randomized(LayerNorm(shape: [2, 3])),
                             input: random([2, 2, 3], lower: -2, upper: 2))
        assertLayerGradients("layer norm without affine", LayerNorm(shape: [3], elementwiseAffine: false),
                             input: random([4, 3], lower: -2, upper: 2))
    }

    func testEmbedding() {
        var g = RandomGenerator(seed: 2)
        let embedding = Embedding(count: 5, dimension: 3, using: &g)
        let report = layerGradientError(parameters: embedding.parameters, input: nil) { _ in embedding([4, 0, 4, 2]) }
        XCTAssertLessThan(report.maxError, 1e-2, "embedding: \(report)")
    }

    func testDropout() {
        assertLayerGradients("dropout training", Dropout(probability: 0.4), input: random([3, 5]), training: true)
        assertLayerGradients("dropout evaluation", Dropout(probability: 0.4), input: random([3, 5]))
    }

    func testActivationsAndReshaping() {
        let x = random([2, 6], lower: -3, upper: 3)
        assertLayerGradients("relu", ReLU(), input: x)
        assertLayerGradients("leaky relu", LeakyReLU(slope: 0.2), input: x)
        assertLayerGradients("tanh", Tanh(), input: x)
        assertLayerGradients("sigmoid", Sigmoid(), input: x)
        assertLayerGradients("silu", SiLU(), input: x)
        assertLayerGradients("gelu", GELU(), input: x)
        assertLayerGradients("softplus", Softplus(), input: x)
        assertLayerGradients("flatten", Flatten(), input: random([2, 2, 3]))
        assertLayerGradients("unflatten", Unflatten(axis: 1, shape: [2, 3]), input: x)
    }

    func testSequential() {
        var g = RandomGenerator(seed: 3)
        let model = Sequential {
            Linear(inputSize: 4, outputSize: 6, using: &g)
            randomized(BatchNorm1d(featureCount: 6))
            // Smooth, so that no finite-difference step crosses a kink.
            SiLU()
            Unflatten(axis: 1, shape: [3, 2])
            Flatten()
            Linear(inputSize: 6, outputSize: 2, using: &g)
            Tanh()
        }
        assertLayerGradients("sequential", model, input: random([3, 4]), training: true)
    }

    /// The gradient of a gradient norm through layers, as WGAN-GP takes it.
    func testSecondOrderThroughLayers() {
        var g = RandomGenerator(seed: 4)
        let critic = Sequential {
            Linear(inputSize: 3, outputSize: 4, using: &g)
            randomized(LayerNorm(shape: [4]))
            SiLU()
            Unflatten(axis: 1, shape: [2, 2])
            randomized(GroupNorm(groupCount: 1, channelCount: 2))
            Flatten()
            Linear(inputSize: 4, outputSize: 1, using: &g)
        }
        let report = layerGradientError(parameters: critic.parameters, input: random([2, 3])) { x in
            let score = critic(x!).sum()
            let grad = gradients(of: score, withRespectTo: [x!], createGraph: true)[0]!
            return (grad.squared().sum(alongAxis: 1) + 1e-6).sqrt()
        }
        XCTAssertLessThan(report.maxError, 1e-2, "gradient penalty: \(report)")
    }
}
