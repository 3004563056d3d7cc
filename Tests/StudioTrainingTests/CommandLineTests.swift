import Foundation
import StudioCore
import StudioIO
import XCTest
@testable import StudioTraining

/// Commands as a new user types them (the command-line issue's items 5 to 8): typos, runs without a
/// checkpoint yet, picture formats genstudio does not write, and what `inspect` counts.
final class CommandLineTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws { scratch = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private func run(_ arguments: [String]) throws -> ProcessResult { try GenStudioExecutable.run(arguments, logs: scratch) }

    func testAMistypedCommandGetsASuggestion() throws {
        assertCleanFailure(try run(["trian", "recipes/dcgan-mnist.toml"]), mentions: ["unknown command 'trian'", "did you mean 'train'?"])
        assertCleanFailure(try run(["smaple"]), mentions: ["did you mean 'sample'?"])
        assertCleanFailure(try run(["data", "mnst"]), mentions: ["unknown subcommand 'mnst' of 'genstudio data'", "did you mean 'mnist'?"])
        assertCleanFailure(try run(["bench", "tran", "recipes/dcgan-mnist.toml"]), mentions: ["did you mean 'train'?"])
        assertCleanFailure(try run(["eval", "few-shoot"]), mentions: ["unknown subcommand 'few-shoot' of 'genstudio eval', and no such file", "did you mean 'few-shot'?"])
        assertCleanFailure(try run(["xyz"]), mentions: ["unknown command 'xyz'", "expected one of: data, train, sample"])
    }

    func testARunWithoutACheckpointAndUnwrittenFormatsAreNamed() throws {
        let run = scratch.appendingPathComponent("early")
        _ = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: [try Fixtures.dataOverride], outputs: scratch, runDirectory: run)
        assertCleanFailure(try self.run(["sample", run.path, "--out", scratch.appendingPathComponent("x.png").path]),
                           mentions: ["is a run directory with no checkpoint yet"])
        _ = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: [try Fixtures.dataOverride, "train.steps=1"],
                                  outputs: scratch, runDirectory: run).run()
        let jpeg = scratch.appendingPathComponent("grid.jpg")
        assertCleanFailure(try self.run(["sample", run.path, "--out", jpeg.path]), mentions: ["not .jpg"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: jpeg.path), "no folder named like a picture")
        let recipe = try self.run(["inspect", run.appendingPathComponent("recipe.toml").path])
        assertCleanFailure(recipe, mentions: ["recipe.toml", "is not a checkpoint"])
        XCTAssertFalse(recipe.output.contains("model.safetensors"), "no path the user never typed: \(recipe.output)")
    }

    func testInspectCountsAMovingAverageOnce() throws {
        let run = scratch.appendingPathComponent("ema")
        _ = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: [try Fixtures.dataOverride, "train.steps=1", "model.ema_decay=0.9"],
                                  outputs: scratch, runDirectory: run).run()
        let result = try self.run(["inspect", run.path])
        assertSuccess(result)
        let gan = try LoadedGAN.load(checkpoint: run).gan
        let generator = gan.generatorParametersByCheckpointName.reduce(0) { $0 + $1.parameter.shape.elementCount }
        let all = gan.namedParameters.reduce(0) { $0 + $1.parameter.shape.elementCount }
        XCTAssertTrue(result.stdout.contains("parameters: \(all)\n"), result.stdout)
        XCTAssertTrue(result.stdout.contains("moving-average copies (ema.*, not counted above): \(generator)"), result.stdout)
    }

    func testAMissingWeightsFileIsNamedPlainly() throws {
        let missing = scratch.appendingPathComponent("w.safetensors")
        let out = scratch.appendingPathComponent("r.safetensors").path
        let result = try run(["sample", "--recipe", try Fixtures.tinyRecipe.path, "--weights", missing.path, "--out", out])
        assertCleanFailure(result, mentions: [missing.path, "no such file"])
        XCTAssertFalse(result.stderr.contains("operation could not be completed"), result.stderr)
        assertCleanFailure(try run(["sample", "--recipe", try Fixtures.tinyRecipe.path, "--weights", scratch.path, "--out", out]),
                           mentions: [scratch.path, "is a directory, not a .safetensors file"])
    }

    /// The model config one `key = value` line per setting, as in the recipe, not one long JSON line.
    func testInspectPrintsTheConfigReadably() throws {
        let recipe = try Fixtures.directory.appendingPathComponent("tiny-ddpm.toml")
        let run = scratch.appendingPathComponent("ddpm")
        _ = try TrainingJob.start(recipe: recipe, overrides: [try Fixtures.dataOverride, "train.steps=1"],
                                  outputs: scratch, runDirectory: run).run()
        let result = try self.run(["inspect", run.path])
        assertSuccess(result)
        for line in ["config:\n", "\n  family = \"diffusion\"\n", "\n  image_shape = [1, 28, 28]\n", "\n  unet.base_channels = 8\n",
                     "\n  unet.channel_multipliers = [1, 2]\n", "\n  timesteps = 20\n"] {
            XCTAssertTrue(result.stdout.contains(line), "'\(line)' in \(result.stdout)")
        }
        XCTAssertLessThan(result.stdout.split(separator: "\n").map(\.count).max() ?? 0, 120, result.stdout)

        let ganRun = scratch.appendingPathComponent("gan")
        _ = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: [try Fixtures.dataOverride, "train.steps=1"],
                                  outputs: scratch, runDirectory: ganRun).run()
        let layers = try self.run(["inspect", ganRun.path])
        assertSuccess(layers)
        XCTAssertTrue(layers.stdout.contains("\n  generator[8] = { type = \"tanh\" }\n"), layers.stdout)
        XCTAssertTrue(layers.stdout.contains("\n  generator[0] = { bias = false, in = 8, out = 392, type = \"linear\" }\n"), layers.stdout)
    }

    func testResumingWithAnotherThreadCountSaysSo() throws {
        let run = scratch.appendingPathComponent("threads")
        _ = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: [try Fixtures.dataOverride, "train.steps=2", "checkpoint.interval=1"],
                                  outputs: scratch, runDirectory: run).run(maxSteps: 1)
        let stateURL = try Checkpoint.resolve(run).appendingPathComponent(Checkpoint.stateFile)
        let state = try String(contentsOf: stateURL, encoding: .utf8)
        let edited = state.replacingOccurrences(of: "\"threads\" : 1", with: "\"threads\" : 16")
        XCTAssertNotEqual(edited, state)
        try Data(edited.utf8).write(to: stateURL)
        let result = try self.run(["train", "--resume", run.path])
        assertSuccess(result)
        XCTAssertTrue(result.stdout.contains("the run so far used 16 compute threads, this session 1"), result.stdout)
    }
}
