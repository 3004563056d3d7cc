import Foundation
import StudioCore
import StudioIO
import XCTest
@testable import StudioTraining

/// `train.loss`, `train.critic_steps` and `train.gp_weight`: recipe checks and runs under each loss.
final class AdversarialLossTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws { scratch = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private func refusal(_ recipe: URL, _ overrides: [String]) -> String {
        do {
            _ = try RecipeLoader.load(recipe, overrides: overrides)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    func testRecipesNameBadLossSettings() throws {
        let gan = try Fixtures.tinyRecipe, ddpm = try Fixtures.directory.appendingPathComponent("tiny-ddpm.toml")
        XCTAssertTrue(refusal(gan, ["train.loss=wasserstein"]).contains("unknown loss 'wasserstein'; expected one of: non-saturating, hinge, wgan-gp"))
        XCTAssertTrue(refusal(gan, ["train.gp_weight=10"]).contains("train.gp_weight needs train.loss = \"wgan-gp\""))
        XCTAssertTrue(refusal(gan, ["train.loss=wgan-gp", "train.critic_steps=0"]).contains("train.critic_steps must be at least 1"))
        XCTAssertTrue(refusal(ddpm, ["train.loss=hinge"]).contains("train.loss applies to GANs"))
        let settings = try RecipeLoader.load(gan, overrides: ["train.loss=wgan-gp"]).recipe.train
        XCTAssertEqual(settings.resolvedLoss, .wganGP)
        XCTAssertEqual(settings.resolvedCriticSteps, 5)
        XCTAssertEqual(settings.resolvedGradientPenaltyWeight, 10)
        XCTAssertEqual(try RecipeLoader.load(gan).recipe.train.resolvedCriticSteps, 1)
    }

    private func train(_ name: String, _ overrides: [String]) throws -> URL {
        let run = scratch.appendingPathComponent(name)
        let session = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: [try Fixtures.dataOverride] + overrides,
                                            outputs: scratch, runDirectory: run)
        XCTAssertEqual(try session.run(), .finished)
        return run
    }

    func testWGANGPRunsCriticStepsOnTheirOwnBatchesDeterministically() throws {
        let overrides = ["train.loss=wgan-gp", "train.critic_steps=2", "train.steps=2"]
        let a = try train("a", overrides), b = try train("b", overrides)
        let checkpoint = try Checkpoint.resolve(a)
        XCTAssertEqual(try Checkpoint.readState(checkpoint).cursor, 2 * 2 * 8, "two steps of two critic batches of 8")
        let model = checkpoint.appendingPathComponent(Checkpoint.modelFile)
        XCTAssertEqual(try contents(of: model), try contents(of: try Checkpoint.resolve(b).appendingPathComponent(Checkpoint.modelFile)))
        let csv = String(decoding: try contents(of: a.appendingPathComponent("metrics.csv")), as: UTF8.self)
        let lines = csv.split(separator: "\n")
        XCTAssertTrue(lines[0].hasSuffix("loss_d,loss_g,d_real,d_fake,gradient_penalty"), String(lines[0]))
        let penalty = try XCTUnwrap(Double(try XCTUnwrap(lines.last?.split(separator: ",").last)))
        XCTAssertTrue(penalty.isFinite && penalty >= 0, "\(penalty)")
    }

    func testHingeLossTrains() throws {
        let run = try train("hinge", ["train.loss=hinge", "train.steps=1"])
        let csv = String(decoding: try contents(of: run.appendingPathComponent("metrics.csv")), as: UTF8.self)
        let values = try XCTUnwrap(csv.split(separator: "\n").last).split(separator: ",").dropFirst().compactMap { Double($0) }
        XCTAssertEqual(values.count, 4)
        XCTAssertTrue(values.allSatisfy(\.isFinite), "\(values)")
    }
}
