import Foundation
import StudioCore
import StudioModels
import StudioNN
import XCTest

/// Class-conditional GANs as networks: config checks and the projection discriminator.
final class ConditionalGANModelTests: XCTestCase {
    /// StudioTrainingTests' Fixtures/tiny-gan.toml model, or with `classes` its tiny-cgan.toml (z plus
    /// a 4-long label embedding into the generator, and a projection discriminator).
    static func tinyConfig(classes: Int) -> GANConfig {
        func ints(_ values: [String: Int]) -> [String: LayerSpec.Value] { values.mapValues { .int($0) } }
        let embedding = classes > 0 ? 4 : 0
        let generator: [LayerSpec] = [
            LayerSpec(.linear, ints(["in": 8 + embedding, "out": 392]).merging(["bias": .bool(false)]) { $1 }),
            LayerSpec(.batchnorm1d, ints(["features": 392])),
            LayerSpec(.relu),
            LayerSpec(.unflatten, ["axis": .int(1), "shape": .ints([8, 7, 7])]),
            LayerSpec(.convtranspose2d, ints(["in": 8, "out": 4, "kernel": 4, "stride": 2, "padding": 1]).merging(["bias": .bool(false)]) { $1 }),
            LayerSpec(.batchnorm2d, ints(["features": 4])),
            LayerSpec(.relu),
            LayerSpec(.convtranspose2d, ints(["in": 4, "out": 1, "kernel": 4, "stride": 2, "padding": 1])),
            LayerSpec(.tanh),
        ]
        let discriminator: [LayerSpec] = [
            LayerSpec(.conv2d, ints(["in": 1, "out": 4, "kernel": 4, "stride": 2, "padding": 1])),
            LayerSpec(.leakyrelu, ["slope": .number(0.2)]),
            LayerSpec(.dropout, ["p": .number(0.3)]),
            LayerSpec(.conv2d, ints(["in": 4, "out": 8, "kernel": 4, "stride": 2, "padding": 1])),
            LayerSpec(.leakyrelu, ["slope": .number(0.2)]),
            LayerSpec(.flatten, ints(["start": 1])),
            LayerSpec(.linear, ints(["in": 392, "out": 1])),
        ]
        return GANConfig(latentSize: 8, imageShape: [1, 28, 28], initialization: .dcgan, classCount: classes,
                         embeddingSize: classes > 0 ? embedding : nil, generator: SequentialSpec(generator),
                         discriminator: SequentialSpec(discriminator))
    }

    func testConfigNeedsAWiderGeneratorInputAndALinearLastDiscriminatorLayer() throws {
        var config = Self.tinyConfig(classes: 10)
        XCTAssertNoThrow(try config.validate())
        XCTAssertNoThrow(try Self.tinyConfig(classes: 0).validate())
        XCTAssertEqual(config.generatorInputShape, [1, 12])
        XCTAssertEqual(config.featureSize, 392)
        XCTAssertEqual(try ModelConfig.fromJSON(try ModelConfig.gan(config).jsonString()), .gan(config))
        let plain = Self.tinyConfig(classes: 0)
        XCTAssertFalse(try ModelConfig.gan(plain).jsonString().contains("classes"), "unconditional metadata is unchanged")

        config.embeddingSize = 5
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("latent_size 8 + embedding_size 5"), "\($0)") }
        config.embeddingSize = 4
        var noProjection = config
        noProjection.discriminator.layers.append(LayerSpec(.sigmoid))
        XCTAssertThrowsError(try noProjection.validate()) { XCTAssertTrue("\($0)".contains("must end in"), "\($0)") }
        config.classCount = -1
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("model.classes"), "\($0)") }
    }

    func testStandingStatisticsAverageTheBatchStatisticsOfTheCurrentWeights() throws {
        var generator = RandomGenerator(seed: 5)
        let gan = try GAN(config: Self.tinyConfig(classes: 10), using: &generator)
        let first = gan.generator.layers[0] as! Linear, norm = gan.generator.layers[1] as! BatchNorm1d
        norm.runningMean.value = Tensor(repeating: 7, shape: [392])
        var stream = RandomGenerator(seed: 9), replay = stream
        gan.recalibrateGeneratorStatistics(batches: 3, batchSize: 5, using: &stream)
        // The same latents and labels by hand: the first layer's output per batch, its mean and unbiased variance.
        var means = [Tensor](), variances = [Tensor]()
        for k in 0..<3 {
            let z = Tensor.randomNormal([5, 8], using: &replay)
            let labels = (0..<5).map { (k * 5 + $0) % 10 }
            let h = first(Tensor.concatenate([z, gan.generatorEmbedding!(labels)], alongAxis: 1))
            let mean = h.mean(alongAxes: [0])
            means.append(mean)
            variances.append(((h - mean) * (h - mean)).sum(alongAxes: [0]) / 4)
        }
        let expectedMean = (means[0] + means[1] + means[2]) / 3
        let expectedVariance = (variances[0] + variances[1] + variances[2]) / 3
        XCTAssertTrue(norm.runningMean.value.isClose(to: expectedMean, absolute: 1e-5, relative: 1e-4))
        XCTAssertTrue(norm.runningVariance.value.isClose(to: expectedVariance, absolute: 1e-5, relative: 1e-4))
        XCTAssertEqual(stream.next(), replay.next(), "the stream moves past exactly the latents drawn")
        XCTAssertEqual(norm.batchesTracked.value.scalars, [0], "other buffers end as they were")
    }

    func testProjectionDiscriminatorAddsTheLabelsInnerProductWithTheFeatures() throws {
        var generator = RandomGenerator(seed: 3)
        let gan = try GAN(config: Self.tinyConfig(classes: 10), using: &generator)
        let names = gan.stateEntries.map(\.name)
        XCTAssertTrue(names.contains("generator_embedding.weight") && names.contains("discriminator_projection.weight"), "\(names)")
        XCTAssertEqual(gan.discriminatorProjection?.weight.shape, [10, 392])
        XCTAssertEqual(gan.generatorParameters.last?.name, "generator_embedding.weight")
        XCTAssertEqual(gan.discriminatorParameters.last?.name, "discriminator_projection.weight")

        let x = Tensor.randomUniform([3, 1, 28, 28], lower: -1, upper: 1, using: &generator)
        let labels = [4, 0, 9]
        let logits = gan.discriminate(x, labels: labels, context: .inference)
        let features = Sequential(Array(gan.discriminator.layers.dropLast()))(x)
        let projection = gan.discriminatorProjection!.weight.value
        for (row, label) in labels.enumerated() {
            let plain = gan.discriminator.layers.last!(features)[row, 0]
            let dot = (0..<392).reduce(Float(0)) { $0 + projection[label, $1] * features[row, $1] }
            XCTAssertEqual(logits[row, 0], plain + dot, accuracy: 1e-4)
        }
        let z = Tensor.randomNormal([2, 8], using: &generator)
        let a = gan.generate(z, labels: [1, 1], context: .inference), b = gan.generate(z, labels: [1, 2], context: .inference)
        XCTAssertEqual(a.sliced(alongAxis: 0, 0..<1).scalars, b.sliced(alongAxis: 0, 0..<1).scalars)
        XCTAssertNotEqual(a.sliced(alongAxis: 0, 1..<2).scalars, b.sliced(alongAxis: 0, 1..<2).scalars, "the label changes the image")
    }
}
