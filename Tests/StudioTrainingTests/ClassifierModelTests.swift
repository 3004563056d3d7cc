import Foundation
import StudioCore
import StudioModels
import StudioNN
import XCTest
@testable import StudioTraining

/// The classifier family's config and network: the shipped recipe is the issue's CNN under
/// `nn.Sequential`'s names, features come from the named layer, inference is batched, and bad
/// configs are errors naming what is wrong.
final class ClassifierModelTests: XCTestCase {
    static let recipes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../recipes").standardized

    static func shippedConfig() throws -> (Recipe, ClassifierConfig) {
        let (recipe, _) = try RecipeLoader.load(recipes.appendingPathComponent("classifier-mnist.toml"))
        guard case .classifier(let config) = recipe.model else { throw XCTSkip("classifier-mnist.toml is not a classifier recipe") }
        return (recipe, config)
    }

    func testShippedRecipeIsTheIssuesCNN() throws {
        let (recipe, config) = try Self.shippedConfig()
        XCTAssertEqual(config.imageShape, [1, 28, 28])
        XCTAssertEqual(config.classCount, 10)
        XCTAssertEqual(config.featureLayer, 8)
        XCTAssertEqual(try config.featureSize(), 128)
        XCTAssertEqual(config.network.layers.map(\.kind),
                       [.conv2d, .relu, .maxpool2d, .conv2d, .relu, .maxpool2d, .flatten, .linear, .relu, .linear])
        XCTAssertEqual([recipe.train.batch, recipe.train.epochs], [64, 5])
        XCTAssertEqual(recipe.train.lr, 1e-3)
        XCTAssertEqual(recipe.train.beta1, 0.9)
        XCTAssertEqual(recipe.resolvingEpochs(trainingCount: 60_000).train.steps, 5 * 937)
        var generator = RandomGenerator(seed: 0)
        let classifier = try Classifier(config: config, using: &generator)
        // The state-dict keys and shapes of the PyTorch twin in the recipe's header, prefixed "network.".
        let shapes = Dictionary(uniqueKeysWithValues: classifier.namedParameters.map { ($0.name, $0.parameter.value.shape.dimensions) })
        XCTAssertEqual(shapes, [
            "network.0.weight": [16, 1, 3, 3], "network.0.bias": [16],
            "network.3.weight": [32, 16, 3, 3], "network.3.bias": [32],
            "network.7.weight": [128, 1568], "network.7.bias": [128],
            "network.9.weight": [10, 128], "network.9.bias": [10],
        ])
    }

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
