import Foundation
import StudioCore
import StudioIO
import XCTest
@testable import StudioTraining

/// DiffAugment (`train.diffaugment`) and the lazy R1 penalty (`train.r1_gamma`, `train.r1_interval`)
/// in training: they change the run, resume byte for byte, report R1, and refuse what they cannot do.
final class GANSmallDataTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws { scratch = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private let options = ["train.diffaugment=[\"color\", \"translation\", \"cutout\"]", "train.r1_gamma=10", "train.r1_interval=2",
                           "model.ema_decay=0.9"]

    private func train(_ name: String, _ extra: [String], recipe: String = "tiny-cgan.toml", maxSteps: Int? = nil) throws -> URL {
        let run = scratch.appendingPathComponent(name)
        let session = try TrainingJob.start(recipe: try Fixtures.directory.appendingPathComponent(recipe),
                                            overrides: [try Fixtures.dataOverride, "train.steps=6", "checkpoint.interval=3",
                                                        "sample.interval=3"] + extra,
                                            outputs: scratch, runDirectory: run)
        _ = try session.run(maxSteps: maxSteps)
        return run
    }

    private func bytes(_ run: URL, _ file: String) throws -> Data {
        try Data(contentsOf: try Checkpoint.resolve(run).appendingPathComponent(file))
    }

    func testAugmentedRegularisedRunsResumeByteForByteAndDifferFromPlainOnes() throws {
        let straight = try train("straight", options)
        let interrupted = try train("interrupted", options, maxSteps: 3)
        _ = try TrainingJob.resume(interrupted).run()
        for file in [Checkpoint.modelFile, Checkpoint.optimizerFile] {
            XCTAssertEqual(try bytes(straight, file), try bytes(interrupted, file), file)
        }
        XCTAssertEqual(try Data(contentsOf: straight.appendingPathComponent("metrics.jsonl")),
                       try Data(contentsOf: interrupted.appendingPathComponent("metrics.jsonl")))
        let plain = try train("plain", ["model.ema_decay=0.9"])
        XCTAssertNotEqual(try bytes(straight, Checkpoint.modelFile), try bytes(plain, Checkpoint.modelFile))
    }

    func testR1IsReportedOnTheStepsItIsApplied() throws {
        let run = try train("r1", ["train.r1_gamma=10", "train.r1_interval=2"])
        let lines = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let byStep = Dictionary(uniqueKeysWithValues: lines.compactMap { line -> (Int, Double)? in
            guard let step = line["step"] as? Int, let r1 = line["r1"] as? Double else { return nil }
            return (step, r1)
        })
        XCTAssertEqual(byStep.count, 6)
        for (step, r1) in byStep {
            // Logged steps count from 1; the penalty runs on zero-based steps 0, 2, 4.
            if (step - 1) % 2 == 0 { XCTAssertGreaterThan(r1, 0, "step \(step)") } else { XCTAssertEqual(r1, 0, "step \(step)") }
        }
    }

    func testSettingsThatCannotWorkAreRecipeErrors() throws {
        let cases: [([String], String, String)] = [
            (["train.diffaugment=[\"rotate\"]"], "tiny-cgan.toml", "diffaugment"),
            (["train.r1_gamma=1", "train.loss=\"wgan-gp\""], "tiny-cgan.toml", "train.r1_gamma applies to the non-saturating and hinge losses"),
            (["train.r1_interval=4"], "tiny-cgan.toml", "train.r1_interval needs train.r1_gamma"),
            (["train.r1_gamma=-1"], "tiny-cgan.toml", "train.r1_gamma must be zero or positive"),
            (["train.diffaugment=[\"color\"]"], "tiny-wavegan.toml", "train.diffaugment transforms images"),
        ]
        for (overrides, recipe, phrase) in cases {
            XCTAssertThrowsError(try train("bad", overrides, recipe: recipe), "\(overrides)") { error in
                XCTAssertTrue("\(error)".contains(phrase), "\(overrides): \(error)")
            }
        }
        let vae = scratch.appendingPathComponent("vae.toml")
        try Data(VAETrainingTests.recipe().utf8).write(to: vae)
        XCTAssertThrowsError(try RecipeLoader.load(vae, overrides: ["train.r1_gamma=1"])) { error in
            XCTAssertTrue("\(error)".contains("train.r1_gamma applies to GANs"), "\(error)")
        }
    }
}
