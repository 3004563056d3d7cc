import Foundation
import XCTest
import StudioCore
import StudioIO
import StudioModels
@testable import StudioTraining

/// Tiny VAEs trained on the 320-image fixture: resume equality, run outputs, recipe checks.
final class VAETrainingTests: XCTestCase {
    static let fixtureData = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/mnist-small").path

    /// A 784-8-2·latent MLP VAE recipe on the fixture; `model` adds lines to [model].
    static func recipe(latent: Int = 3, model extra: String = "", encoderInput: Int = 784, decoderInput: Int? = nil,
                       steps: Int = 6) -> String {
        """
        [model]
        family = "vae"
        latent_size = \(latent)
        image_shape = [1, 28, 28]
        \(extra)
        encoder = [
          { type = "flatten", start = 1 },
          { type = "linear", in = \(encoderInput), out = 8 },
          { type = "relu" },
          { type = "linear", in = 8, out = \(2 * latent) },
        ]
        decoder = [
          { type = "linear", in = \(decoderInput ?? latent), out = 784 },
          { type = "unflatten", axis = 1, shape = [1, 28, 28] },
        ]
        [data]
        path = "\(fixtureData)"
        [train]
        batch = 32
        lr = 1e-3
        beta1 = 0.9
        seed = 5
        steps = \(steps)
        threads = 1
        [sample]
        interval = 4
        count = 9
        [checkpoint]
        interval = 100
        keep = 0
        """
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vae-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Trains `text` to the end in a fresh run directory under `root` and returns it.
    static func train(_ text: String, in root: URL, name: String, maxSteps: Int? = nil) throws -> URL {
        let recipe = root.appendingPathComponent("\(name).toml")
        try Data(text.utf8).write(to: recipe)
        let run = root.appendingPathComponent(name)
        let session = try TrainingJob.start(recipe: recipe, overrides: [], outputs: root, runDirectory: run)
        _ = try session.run(maxSteps: maxSteps)
        return run
    }

    func testResumedRunEndsWithByteIdenticalWeights() throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let text = Self.recipe(model: "beta = 2.0\nkl_warmup_steps = 4", steps: 12)
        let straight = try Self.train(text, in: root, name: "straight")
        let interrupted = try Self.train(text, in: root, name: "interrupted", maxSteps: 5)
        XCTAssertEqual(try Checkpoint.readState(Checkpoint.resolve(interrupted)).step, 5)
        _ = try TrainingJob.resume(interrupted).run()
        let a = try Data(contentsOf: straight.appendingPathComponent("checkpoints/latest/model.safetensors"))
        let b = try Data(contentsOf: interrupted.appendingPathComponent("checkpoints/latest/model.safetensors"))
        XCTAssertEqual(a, b, "12 straight steps and 5 + 7 resumed steps must give the same bytes")
        let optimizerA = try Data(contentsOf: straight.appendingPathComponent("checkpoints/latest/optimizer.safetensors"))
        let optimizerB = try Data(contentsOf: interrupted.appendingPathComponent("checkpoints/latest/optimizer.safetensors"))
        XCTAssertEqual(optimizerA, optimizerB)
        // The resumed session clears the test ELBO its predecessor measured on stopping: the logs match too.
        XCTAssertEqual(try Data(contentsOf: straight.appendingPathComponent("metrics.jsonl")),
                       try Data(contentsOf: interrupted.appendingPathComponent("metrics.jsonl")))
        XCTAssertEqual(try Data(contentsOf: straight.appendingPathComponent("metrics.csv")),
                       try Data(contentsOf: interrupted.appendingPathComponent("metrics.csv")))
    }

    func testSessionStoppedByMaxStepsLogsItsTestELBOOnItsLastRow() throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        // Epochs end at step 10: a session stopped at 5 would otherwise report no held-out figure.
        let run = try Self.train(Self.recipe(steps: 12), in: root, name: "run", maxSteps: 5)
        let lines = try String(contentsOf: run.appendingPathComponent("metrics.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 6)
        let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        XCTAssertEqual(rows.map(\.count), [Int](repeating: 9, count: 5))
        XCTAssertEqual(rows.prefix(4).map { Array($0.suffix(3)) }, [[Substring]](repeating: ["", "", ""], count: 4),
                       "unmeasured values are empty fields")
        let (total, recon, kl) = (Double(rows[4][6])!, Double(rows[4][7])!, Double(rows[4][8])!)
        XCTAssertEqual(total, recon + kl, accuracy: 1e-6 * total)
        XCTAssertTrue(total > 50 && total < 800, "test negative ELBO \(total) nats is not plausible for MNIST")
        let json = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(json[0].hasSuffix("\"test_neg_elbo\":null,\"test_recon\":null,\"test_kl\":null}"), String(json[0]))
        XCTAssertTrue(json[4].contains("\"test_neg_elbo\":\(total)"), String(json[4]))
    }

    func testEvaluationIntervalReplacesEpochEndsAndResumesByteForByte() throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        // Epochs end at step 10; with an interval of 4 the test ELBO comes at 4, 8 and the last step, 12.
        let text = Self.recipe(steps: 12).replacingOccurrences(of: "[train]", with: "[train]\nevaluation_interval = 4")
        let run = try Self.train(text, in: root, name: "run")
        let lines = try String(contentsOf: run.appendingPathComponent("metrics.csv"), encoding: .utf8).split(separator: "\n")
        let evaluated = lines.dropFirst().filter { !$0.hasSuffix(",,,") }.map { Int($0.split(separator: ",")[0])! }
        XCTAssertEqual(evaluated, [4, 8, 12])
        let interrupted = try Self.train(text, in: root, name: "interrupted", maxSteps: 6)
        _ = try TrainingJob.resume(interrupted).run()
        XCTAssertEqual(try Data(contentsOf: run.appendingPathComponent("metrics.jsonl")),
                       try Data(contentsOf: interrupted.appendingPathComponent("metrics.jsonl")))
        XCTAssertThrowsError(try Self.train(text.replacingOccurrences(of: "evaluation_interval = 4", with: "evaluation_interval = 0"),
                                            in: root, name: "bad")) { XCTAssertTrue("\($0)".contains("train.evaluation_interval must be positive")) }
    }

    func testRunWritesELBOMetricsTestELBOAtEpochEndsAndBothGrids() throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        // 320 images in batches of 32: epochs end at steps 10 and 20; the run ends at 12.
        let run = try Self.train(Self.recipe(steps: 12), in: root, name: "run")
        let lines = try String(contentsOf: run.appendingPathComponent("metrics.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines[0], "step,loss,neg_elbo,recon,kl,kl_weight,test_neg_elbo,test_recon,test_kl")
        XCTAssertEqual(lines.count, 13)
        let evaluated = lines.dropFirst().filter { !$0.hasSuffix(",,,") }.map { $0.split(separator: ",") }
        XCTAssertEqual(evaluated.map { Int($0[0])! }, [10, 12])
        for row in evaluated {
            let (total, recon, kl) = (Double(row[6])!, Double(row[7])!, Double(row[8])!)
            XCTAssertEqual(total, recon + kl, accuracy: 1e-6 * total)
            XCTAssertGreaterThan(kl, 0)
            XCTAssertTrue(total > 50 && total < 600, "test negative ELBO \(total) nats is not plausible for MNIST")
        }
        let row = lines[1].split(separator: ",").prefix(5).map { Double($0)! }
        XCTAssertEqual(row[1], row[2], accuracy: 1e-3, "with beta 1 the loss is the negative ELBO")
        XCTAssertEqual(row[2], row[3] + row[4], accuracy: 1e-3)
        let samples = try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("samples").path).sorted()
        XCTAssertEqual(samples, ["reconstructions-step-000004.png", "reconstructions-step-000008.png", "reconstructions-step-000012.png",
                                 "step-000004.png", "step-000008.png", "step-000012.png"])
        // 32 test images above their reconstructions: 8 rows of 8 tiles of 28 + 2 pixels.
        let grid = try PNGImage.read(from: run.appendingPathComponent("samples/reconstructions-step-000012.png"))
        XCTAssertEqual([grid.width, grid.height], [8 * 30 + 2, 8 * 30 + 2])
        let events = try XCTUnwrap(RunDirectory(url: run).eventFile)
        let eventBytes = try Data(contentsOf: events)
        for tag in ["neg_elbo", "test_neg_elbo", "reconstructions", "samples"] {
            XCTAssertNotNil(eventBytes.range(of: Data(tag.utf8)), "TensorBoard events lack \(tag)")
        }
    }

    func testVAERecipeErrorsNameTheKeyAndTheShapes() throws {
        func assertError(_ text: String, mentions phrase: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try RecipeLoader.parse(text, path: "v.toml"), file: file, line: line) { error in
                XCTAssertTrue("\(error)".contains(phrase), "\(error) should mention \(phrase)", file: file, line: line)
            }
        }
        XCTAssertNoThrow(try RecipeLoader.parse(Self.recipe(), path: "v.toml"))
        assertError(Self.recipe(model: "betta = 2.0"), mentions: "unknown key 'betta'")
        assertError(Self.recipe(model: "learn_variance = true"), mentions: "learn_variance needs likelihood = \"gaussian\"")
        assertError(Self.recipe(model: "likelihood = \"poisson\""), mentions: "likelihood")
        assertError(Self.recipe(model: "beta = -1.0"), mentions: "model.beta")
        assertError(Self.recipe(latent: 3, decoderInput: 4), mentions: "decoder layer 0")
        assertError(Self.recipe(model: "classes = 10"), mentions: "encoder layer 1")
    }

    func testShippedVAERecipesDecodeAndValidate() throws {
        let recipes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../recipes").standardized
        for (name, latent) in [("vae-mnist", 16), ("vae-mlp-mnist", 20), ("vae-2d-mnist", 2)] {
            let (recipe, _) = try RecipeLoader.load(recipes.appendingPathComponent("\(name).toml"))
            guard case .vae(let config) = recipe.model else { return XCTFail("\(name) is not a VAE recipe") }
            XCTAssertEqual(config.latentSize, latent, name)
            XCTAssertEqual(recipe.train.batch, 128, name)
            XCTAssertEqual(recipe.train.lr, 1e-3, name)
            var generator = RandomGenerator(seed: 0)
            let vae = try VAE(config: config, using: &generator)
            XCTAssertEqual(Set(vae.namedParameters.map { String($0.name.prefix(7)) }), ["encoder", "decoder"], name)
        }
    }
}
