import Foundation
import StudioModels
import XCTest
@testable import StudioTraining

/// The shipped diffusion recipes decode, validate, and name bad keys.
final class DiffusionRecipeTests: XCTestCase {
    private func recipe(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../recipes/\(name).toml").standardized
        return try String(contentsOf: url, encoding: .utf8)
    }

    func testShippedDiffusionRecipesDecode() throws {
        for (name, classes, schedule) in [("ddpm-mnist", 0, "linear"), ("ddpm-cond-mnist", 10, "linear"), ("ddpm-fashion-mnist", 0, "cosine")] {
            let (parsed, _) = try RecipeLoader.parse(try recipe(name), path: "recipes/\(name).toml")
            guard case .diffusion(let config) = parsed.model else { return XCTFail("\(name) is not a diffusion recipe") }
            XCTAssertEqual(config.classes, classes, name)
            XCTAssertEqual(config.schedule.rawValue, schedule, name)
            XCTAssertEqual(config.timesteps, 1000, name)
            XCTAssertEqual(config.unet.channelMultipliers, [1, 2, 2], name)
            XCTAssertEqual(config.labelDropout, 0.1, name)
            XCTAssertEqual(try ModelConfig.fromJSON(try parsed.model.jsonString()), parsed.model, "\(name) round-trips through JSON")
        }
    }

    func testBadDiffusionKeysAreNamed() throws {
        let text = try recipe("ddpm-mnist")
        func check(_ overrides: [String], _ phrase: String) {
            XCTAssertThrowsError(try RecipeLoader.parse(text, path: "r.toml", overrides: overrides)) { error in
                XCTAssertTrue("\(error)".contains(phrase), "\(error) should mention \(phrase)")
            }
        }
        check(["model.unet.channels=3"], "unknown key 'channels'")
        check(["model.schedule=\"quadratic\""], "schedule")
        check(["model.unet.attention_resolutions=[5]"], "attention_resolutions")
        check(["model.unet.groups=5"], "model.unet.groups")
        check(["model.timesteps=1"], "model.timesteps")
        check(["model.label_dropout=1.5"], "model.label_dropout")
        check(["model.prediction=\"x0\""], "prediction")
    }
}
