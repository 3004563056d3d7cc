import Foundation
import StudioCore
import StudioOptim
import XCTest
@testable import StudioTraining

/// `train.lr_schedule`, `train.lr_warmup_steps` and `train.lr_final`: recipe checks, the rate every
/// optimizer of a run gets, and resuming mid-schedule.
final class LearningRateScheduleRunTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws { scratch = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private func refusal(_ overrides: [String]) throws -> String {
        do {
            _ = try RecipeLoader.load(try Fixtures.tinyRecipe, overrides: overrides)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    func testRecipesNameBadScheduleSettings() throws {
        XCTAssertTrue(try refusal(["train.lr_schedule=exponential"])
            .contains("unknown schedule 'exponential'; expected one of: constant, cosine, linear"))
        XCTAssertTrue(try refusal(["train.lr_final=0"]).contains("train.lr_final is where train.lr_schedule"))
        XCTAssertTrue(try refusal(["train.lr_schedule=cosine", "train.lr_final=1"]).contains("train.lr_final must lie in [0, train.lr"))
        XCTAssertTrue(try refusal(["train.steps=4", "train.lr_warmup_steps=4"]).contains("train.lr_warmup_steps must lie in [0, train.steps)"))
        XCTAssertTrue(try refusal(["train.lr_warmup_steps=-1"]).contains("train.lr_warmup_steps must lie"))
        let settings = try RecipeLoader.load(try Fixtures.tinyRecipe,
                                             overrides: ["train.steps=10", "train.lr_schedule=linear", "train.lr_warmup_steps=2"])
            .recipe.train
        XCTAssertEqual(settings.learningRateSchedule,
                       LearningRateSchedule(baseRate: Float(settings.lr), decay: .linear(steps: 8, finalRate: 0), warmupSteps: 2))
        XCTAssertEqual(try RecipeLoader.load(try Fixtures.tinyRecipe).recipe.train.learningRateSchedule,
                       .constant(Float(settings.lr)))
    }

    private func model(_ run: URL) throws -> Data {
        try Data(contentsOf: try Checkpoint.resolve(run).appendingPathComponent(Checkpoint.modelFile))
    }

    /// Both of a GAN's optimizers follow the schedule, and a run stopped and resumed mid-decay ends
    /// with the bytes of an unbroken one, which a constant rate would not give.
    func testEveryOptimizerFollowsTheScheduleAcrossAResume() throws {
        let overrides = [try Fixtures.dataOverride, "train.steps=4", "train.lr_schedule=linear", "train.lr_final=0"]
        let whole = scratch.appendingPathComponent("whole")
        let session = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: overrides, outputs: scratch,
                                            runDirectory: whole)
        XCTAssertEqual(try session.run(), .finished)
        let lr = Float(session.recipe.train.lr)
        XCTAssertEqual(session.task.optimizers.count, 2)
        for optimizer in session.task.optimizers {
            XCTAssertEqual(optimizer.learningRate, lr / 4, accuracy: lr * 1e-6, "the rate of the last of four steps")
        }

        let split = scratch.appendingPathComponent("split")
        XCTAssertEqual(try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: overrides, outputs: scratch,
                                             runDirectory: split).run(maxSteps: 2), .stepLimit)
        XCTAssertEqual(try TrainingJob.resume(split).run(), .finished)
        XCTAssertEqual(try model(split), try model(whole))

        let constant = scratch.appendingPathComponent("constant")
        XCTAssertEqual(try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: [try Fixtures.dataOverride, "train.steps=4"],
                                             outputs: scratch, runDirectory: constant).run(), .finished)
        XCTAssertNotEqual(try model(constant), try model(whole))
    }
}
