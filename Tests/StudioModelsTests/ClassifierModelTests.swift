import Foundation
import StudioCore
import StudioModels
import StudioNN
import XCTest

/// The classifier family's config and network: features come from the named layer, inference is
/// batched, and bad configs are errors naming what is wrong (the shipped recipe's CNN is checked in
/// StudioTrainingTests' ClassifierRecipeTests).
final class ClassifierModelTests: XCTestCase {
    /// A 2-channel CNN small enough for a debug build, features 6-d.
    static func smallConfig() -> ClassifierConfig {
        ClassifierConfig(imageShape: [1, 8, 8], classCount: 3, network: SequentialSpec([
            LayerSpec(.conv2d, ["in": .int(1), "out": .int(2), "kernel": .int(3), "padding": .int(1)]),
            LayerSpec(.relu),
            LayerSpec(.maxpool2d, ["kernel": .int(2)]),
            LayerSpec(.flatten),
            LayerSpec(.linear, ["in": .int(32), "out": .int(6)]),
            LayerSpec(.relu),
            LayerSpec(.linear, ["in": .int(6), "out": .int(3)]),
        ]))
    }

    func testBatchedInferenceMatchesOnePassAndFeaturesFeedTheLastLayer() throws {
        var generator = RandomGenerator(seed: 4)
        let classifier = try Classifier(config: Self.smallConfig(), using: &generator)
        XCTAssertEqual(classifier.config.featureLayer, 5, "by default the layer before the last")
        let count = Classifier.inferenceBatch * 2 + 7
        let images = Tensor.randomUniform([count, 1, 8, 8], lower: 0, upper: 1, using: &generator)
        let features = classifier.features(images)
        let logits = classifier.logits(images)
        let probabilities = classifier.probabilities(images)
        XCTAssertEqual(features.shape, [count, 6])
        XCTAssertEqual(logits.shape, [count, 3])
        XCTAssertEqual(probabilities.shape, [count, 3])
        XCTAssertTrue(features.scalars.allSatisfy { $0 >= 0 }, "features are the ReLU's output")
        let whole = classifier.logits(images, context: .inference)
        for (a, b) in zip(logits.scalars, whole.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        let fromFeatures = classifier.logits(fromFeatures: features, context: .inference)
        for (a, b) in zip(logits.scalars, fromFeatures.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        for row in 0..<count {
            XCTAssertEqual(probabilities.scalars[(row * 3)..<(row * 3 + 3)].reduce(0, +), 1, accuracy: 1e-5)
        }
        let both = classifier.featuresAndProbabilities(images)
        XCTAssertEqual(both.features.scalars, features.scalars)
        for (a, b) in zip(both.probabilities.scalars, probabilities.scalars) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        XCTAssertFalse(logits.requiresGradient, "inference records no graph")
        // Generator output in -1...1 maps onto the classifier's 0...1.
        let rescaled = Classifier.rescaled(images * 2 - 1, from: -1...1)
        for (a, b) in zip(rescaled.scalars, images.scalars) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    func testBadConfigsNameTheProblem() throws {
        func assertInvalid(_ config: ClassifierConfig, mentions phrase: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try config.validate(), file: file, line: line) { error in
                XCTAssertTrue("\(error)".contains(phrase), "\(error) should mention \(phrase)", file: file, line: line)
            }
        }
        XCTAssertNoThrow(try Self.smallConfig().validate())
        var config = Self.smallConfig()
        config.classCount = 4
        assertInvalid(config, mentions: "network maps [1, 1, 8, 8] to [1, 3]; it must give one logit per class, [1, 4]")
        config = Self.smallConfig()
        config.featureLayer = 6
        assertInvalid(config, mentions: "model.feature_layer must name a layer before the last, 0...5, got 6")
        config.featureLayer = 1
        assertInvalid(config, mentions: "features must be one vector per image")
        config = Self.smallConfig()
        config.imageShape = [1, 10, 10]
        assertInvalid(config, mentions: "network layer 4 (linear): expects 32 input features")
        config.imageShape = [28, 28]
        assertInvalid(config, mentions: "model.image_shape must be [channels, height, width]")
        config = Self.smallConfig()
        config.classCount = 1
        assertInvalid(config, mentions: "model.classes must be at least 2")
    }

    func testConfigRoundTripsThroughCheckpointJSONAndRejectsUnknownKeys() throws {
        let config = ModelConfig.classifier(Self.smallConfig())
        XCTAssertEqual(try ModelConfig.fromJSON(try config.jsonString()), config)
        XCTAssertEqual(config.family, "classifier")
        XCTAssertEqual(config.imageShape, [1, 8, 8])
        var json = try config.jsonString()
        json.insert(contentsOf: "\"classses\":3,", at: json.index(after: json.startIndex))
        XCTAssertThrowsError(try ModelConfig.fromJSON(json)) { error in
            XCTAssertTrue("\(error)".contains("unknown key 'classses'"), "\(error)")
        }
    }
}
