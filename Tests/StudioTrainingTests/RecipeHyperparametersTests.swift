import Foundation
import XCTest
@testable import StudioIO
@testable import StudioTraining

final class RecipeHyperparametersTests: XCTestCase {
    func testEveryScalarSettingIsAFlatTypedKeyAndLayerListsAreLeftOut() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../recipes/dcgan-mnist.toml").standardized
        let (recipe, _) = try RecipeLoader.load(url, overrides: ["train.diffaugment=[\"color\", \"translation\"]"])
        let values = try recipe.hyperparameters()
        XCTAssertEqual(values["train.lr"], .number(4e-4))
        XCTAssertEqual(values["train.batch"], .number(64), "a default the recipe does not write")
        XCTAssertEqual(values["model.family"], .string("gan"))
        XCTAssertEqual(values["model.image_shape"], .string("[1, 28, 28]"))
        XCTAssertEqual(values["train.diffaugment"], .string("[color, translation]"))
        XCTAssertEqual(values["data.path"], .string("data/mnist"))
        XCTAssertNil(values["model.generator"], "layer lists are not columns")
        XCTAssertFalse(values.keys.contains { $0.hasPrefix("model.generator.") || $0.hasPrefix("model.discriminator") })
    }

    func testANewRunWritesItsHyperparametersAndLearningRateToTensorBoard() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let session = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: [try Fixtures.dataOverride, "train.steps=2"],
                                            outputs: root, runDirectory: root.appendingPathComponent("run"))
        XCTAssertEqual(try session.run(), .finished)
        let events = try FileManager.default.contentsOfDirectory(atPath: session.run.url.path).filter { $0.hasPrefix("events.out.tfevents") }
        let data = try contents(of: session.run.url.appendingPathComponent(try XCTUnwrap(events.first)))
        for marker in ["_hparams_/experiment", "_hparams_/session_start_info", "train.lr", "loss_d", "hparams"] {
            XCTAssertNotNil(data.range(of: Data(marker.utf8)), "the event file lacks \(marker)")
        }
        // The learning rate is a scalar of every step: tag "lr" as a length-prefixed protobuf string.
        XCTAssertNotNil(data.range(of: Data([0x0A, 2]) + Data("lr".utf8) + Data([0x15])))
    }
}
