import Foundation
import StudioCore
import StudioModels
import StudioNN
import StudioTraining
import XCTest

/// The shipped classifier recipe is the issue's CNN under `nn.Sequential`'s names, with its training settings.
final class ClassifierRecipeTests: XCTestCase {
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
}
