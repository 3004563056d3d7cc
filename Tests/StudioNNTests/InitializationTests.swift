import XCTest
import StudioCore
import StudioNN

/// Default initialisers (PyTorch's) and the DCGAN re-initialisation.
final class InitializationTests: XCTestCase {
    private func maxAbs(_ t: Tensor) -> Float { t.scalars.map { Swift.abs($0) }.max() ?? 0 }

    private func meanAndDeviation(_ t: Tensor) -> (Double, Double) {
        let values = t.scalars.map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return (mean, variance.squareRoot())
    }

    func testLinearDrawsFromPlusMinusOneOverRootFanIn() {
        var g = RandomGenerator(seed: 1)
        let layer = Linear(inputSize: 16, outputSize: 200, using: &g)
        let bound: Float = 0.25
        XCTAssertLessThanOrEqual(maxAbs(layer.weight.value), bound)
        XCTAssertGreaterThan(maxAbs(layer.weight.value), 0.95 * bound, "the whole interval is used")
        XCTAssertLessThanOrEqual(maxAbs(layer.bias!.value), bound)
        XCTAssertGreaterThan(maxAbs(layer.bias!.value), 0.8 * bound)
        XCTAssertEqual(meanAndDeviation(layer.weight.value).1, Double(bound) / 3.0.squareRoot(), accuracy: 0.01)
    }

    func testInitialisationIsReproducibleFromTheGenerator() {
        var a = RandomGenerator(seed: 9), b = RandomGenerator(seed: 9)
        let first = Linear(inputSize: 3, outputSize: 2, using: &a), second = Linear(inputSize: 3, outputSize: 2, using: &b)
        XCTAssertEqual(first.weight.value.scalars, second.weight.value.scalars)
        XCTAssertEqual(first.bias!.value.scalars, second.bias!.value.scalars)
        let third = Linear(inputSize: 3, outputSize: 2, using: &a)
        XCTAssertNotEqual(first.weight.value.scalars, third.weight.value.scalars, "the generator advances")
    }

    func testNormalisationDefaults() {
        let norm = BatchNorm2d(featureCount: 3)
        XCTAssertEqual(norm.weight.value.scalars, [1, 1, 1])
        XCTAssertEqual(norm.bias.value.scalars, [0, 0, 0])
        XCTAssertEqual(norm.runningMean.value.scalars, [0, 0, 0])
        XCTAssertEqual(norm.runningVariance.value.scalars, [1, 1, 1])
        XCTAssertEqual(norm.batchesTracked.value.shape, [])
        XCTAssertEqual(norm.batchesTracked.value.item, 0)
        let group = GroupNorm(groupCount: 2, channelCount: 4)
        XCTAssertEqual(group.weight.value.scalars, [1, 1, 1, 1])
        XCTAssertEqual(group.bias.value.scalars, [0, 0, 0, 0])
        let layer = LayerNorm(shape: [2, 2])
        XCTAssertEqual(layer.weight?.value.scalars, [1, 1, 1, 1])
        XCTAssertEqual(layer.bias?.value.scalars, [0, 0, 0, 0])
    }

    func testEmbeddingIsStandardNormalAndLooksUpRows() {
        var g = RandomGenerator(seed: 2)
        let embedding = Embedding(count: 100, dimension: 20, using: &g)
        let (mean, deviation) = meanAndDeviation(embedding.weight.value)
        XCTAssertEqual(mean, 0, accuracy: 0.1)
        XCTAssertEqual(deviation, 1, accuracy: 0.1)
        let rows = embedding([7, 0, 7])
        XCTAssertEqual(rows.shape, [3, 20])
        XCTAssertEqual(Array(rows.scalars[0..<20]), Array(embedding.weight.value.scalars[140..<160]))
        XCTAssertEqual(Array(rows.scalars[20..<40]), Array(embedding.weight.value.scalars[0..<20]))
    }

    func testDCGANInitialisation() {
        var g = RandomGenerator(seed: 3)
        let model = Sequential {
            Linear(inputSize: 50, outputSize: 80, using: &g)
            BatchNorm1d(featureCount: 400)
            LeakyReLU(slope: 0.2)
            Sequential([Linear(inputSize: 80, outputSize: 30, bias: false, using: &g)])
        }
        let linear = model.layers[0] as! Linear, norm = model.layers[1] as! BatchNorm1d
        let nested = (model.layers[3] as! Sequential).layers[0] as! Linear
        let biasBefore = linear.bias!.value.scalars
        norm.bias.assign(Tensor(ones: [400]))

        var a = RandomGenerator(seed: 4)
        initializeDCGAN(model, using: &a)
        let (weightMean, weightDeviation) = meanAndDeviation(linear.weight.value)
        XCTAssertEqual(weightMean, 0, accuracy: 0.002)
        XCTAssertEqual(weightDeviation, 0.02, accuracy: 0.002)
        XCTAssertEqual(meanAndDeviation(nested.weight.value).1, 0.02, accuracy: 0.002, "nested modules are reached")
        let (normMean, normDeviation) = meanAndDeviation(norm.weight.value)
        XCTAssertEqual(normMean, 1, accuracy: 0.005)
        XCTAssertEqual(normDeviation, 0.02, accuracy: 0.003)
        XCTAssertEqual(norm.bias.value.scalars, [Float](repeating: 0, count: 400))
        XCTAssertEqual(linear.bias!.value.scalars, biasBefore, "linear biases keep their values, as in PyTorch's example")

        let saved = model.stateTensors()
        var b = RandomGenerator(seed: 4)
        initializeDCGAN(model, using: &b)
        for ((name, x), (_, y)) in zip(saved, model.stateTensors()) { XCTAssertEqual(x.scalars, y.scalars, name) }
    }
}
