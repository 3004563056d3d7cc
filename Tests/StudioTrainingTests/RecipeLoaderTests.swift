import Foundation
import XCTest
@testable import StudioTraining

final class RecipeLoaderTests: XCTestCase {
    private var dcgan: String {
        get throws {
            let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../recipes/dcgan-mnist.toml").standardized
            return try String(contentsOf: url, encoding: .utf8)
        }
    }

    private func assertRecipeError(_ text: String, overrides: [String] = [], mentions phrases: [String],
                                   file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try RecipeLoader.parse(text, path: "recipes/test.toml", overrides: overrides),
                             file: file, line: line) { error in
            let message = "\(error)"
            for phrase in phrases {
                XCTAssertTrue(message.contains(phrase), "\(message) should mention \(phrase)", file: file, line: line)
            }
        }
    }

    func testShippedRecipeDecodesWithItsDocumentedValues() throws {
        let (recipe, resolved) = try RecipeLoader.parse(try dcgan, path: "recipes/dcgan-mnist.toml")
        XCTAssertEqual(recipe.train.batch, 64)
        XCTAssertEqual(recipe.train.lr, 4e-4)
        XCTAssertEqual(recipe.train.beta1, 0.5)
        XCTAssertEqual(recipe.data.path, "data/mnist")
        guard case .gan(let config) = recipe.model else { return XCTFail("not a GAN") }
        XCTAssertEqual(config.latentSize, 100)
        XCTAssertEqual(config.generator.layers.count, 12)
        XCTAssertEqual(config.discriminator.layers.count, 8)
        XCTAssertTrue(resolved.contains("lr"))
    }

    func testOverridesApplyAndReachTheResolvedRecipe() throws {
        let (recipe, resolved) = try RecipeLoader.parse(try dcgan, path: "r.toml",
                                                        overrides: ["train.lr=1e-4", "data.path=/tmp/x", "train.seed = 7"])
        XCTAssertEqual(recipe.train.lr, 1e-4)
        XCTAssertEqual(recipe.train.seed, 7)
        XCTAssertEqual(recipe.data.path, "/tmp/x")
        let reparsed = try RecipeLoader.parse(resolved, path: "resolved.toml").recipe
        XCTAssertEqual(reparsed, recipe)
    }

    func testUnknownKeysAndWrongTypesNameTheKeyAndFile() throws {
        let text = try dcgan
        assertRecipeError(text + "\n[extra]\nx = 1\n", mentions: ["recipes/test.toml", "unknown key 'extra'"])
        assertRecipeError(text.replacingOccurrences(of: "batch = 64", with: "bacth = 64"),
                          mentions: ["recipes/test.toml", "train.bacth", "unknown key"])
        assertRecipeError(text.replacingOccurrences(of: "lr = 4e-4", with: "lr = \"fast\""),
                          mentions: ["train.lr", "expected a number"])
        assertRecipeError(text, overrides: ["train.lrate=1"], mentions: ["train.lrate", "unknown key"])
        assertRecipeError(text.replacingOccurrences(of: "kernel = 5, stride = 1", with: "kernal = 5, stride = 1"),
                          mentions: ["model.generator[4].kernal", "unknown key"])
        assertRecipeError("[train\nbatch = 1", mentions: ["not valid TOML at line 1"])
        assertRecipeError(text.replacingOccurrences(of: "batch = 64", with: "batch = 0"), mentions: ["train.batch must be positive"])
    }

    func testArchitectureMismatchIsCaughtBeforeBuilding() throws {
        let text = try dcgan.replacingOccurrences(of: "{ type = \"linear\", in = 6272, out = 1 }",
                                                  with: "{ type = \"linear\", in = 6000, out = 1 }")
        assertRecipeError(text, mentions: ["discriminator layer 7", "expects 6000 input features", "[1, 6272]"])
        let wrongImage = try dcgan.replacingOccurrences(of: "image_shape = [1, 28, 28]", with: "image_shape = [1, 32, 32]")
        assertRecipeError(wrongImage, mentions: ["generator makes [1, 1, 28, 28]", "[1, 32, 32]"])
    }
}
