import Foundation
import StudioCore
import StudioIO
import XCTest
@testable import StudioTraining

/// `spectral_norm = true` on the tiny GAN's discriminator layers: it trains, resumes byte for byte
/// (u and v included), writes PyTorch's `spectral_norm` state-dict names, and is checked as a recipe key.
final class SpectralNormTrainingTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws { scratch = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// tiny-gan.toml with `spectral_norm = VALUE` on every conv2d and linear layer of the discriminator.
    private func recipe(_ value: Bool = true) throws -> URL {
        let text = try String(contentsOf: try Fixtures.tinyRecipe, encoding: .utf8)
        let parts = text.components(separatedBy: "discriminator = [")
        XCTAssertEqual(parts.count, 2)
        var discriminator = parts[1]
        for layer in ["{ type = \"conv2d\", in = 1, out = 4, kernel = 4, stride = 2, padding = 1",
                      "{ type = \"conv2d\", in = 4, out = 8, kernel = 4, stride = 2, padding = 1",
                      "{ type = \"linear\", in = 392, out = 1"] {
            XCTAssertTrue(discriminator.contains(layer + " }"), layer)
            discriminator = discriminator.replacingOccurrences(of: layer + " }", with: layer + ", spectral_norm = \(value) }")
        }
        let url = scratch.appendingPathComponent("tiny-gan-sn-\(value).toml")
        try Data((parts[0] + "discriminator = [" + discriminator).utf8).write(to: url)
        return url
    }

    private func train(_ name: String, recipe: URL, maxSteps: Int? = nil) throws -> URL {
        let run = scratch.appendingPathComponent(name)
        let session = try TrainingJob.start(recipe: recipe, overrides: [try Fixtures.dataOverride, "train.steps=6",
                                                                        "checkpoint.interval=3", "sample.interval=3"],
                                            outputs: scratch, runDirectory: run)
        _ = try session.run(maxSteps: maxSteps)
        return run
    }

    private func checkpointFile(_ run: URL, _ name: String, step: Int? = nil) throws -> SafeTensors {
        let directory = try step.map { try Checkpoint.resolve(run).deletingLastPathComponent().appendingPathComponent(Checkpoint.name(step: $0)) }
            ?? Checkpoint.resolve(run)
        return try SafeTensors.read(from: directory.appendingPathComponent(name))
    }

    func testSpectrallyNormalisedRunResumesByteForByteWithPyTorchNames() throws {
        let sn = try recipe()
        let straight = try train("straight", recipe: sn)
        let interrupted = try train("interrupted", recipe: sn, maxSteps: 3)
        _ = try TrainingJob.resume(interrupted).run()
        for file in [Checkpoint.modelFile, Checkpoint.optimizerFile] {
            XCTAssertEqual(try contents(of: try Checkpoint.resolve(straight).appendingPathComponent(file)),
                           try contents(of: try Checkpoint.resolve(interrupted).appendingPathComponent(file)), file)
        }
        XCTAssertEqual(try contents(of: straight.appendingPathComponent("metrics.jsonl")),
                       try contents(of: interrupted.appendingPathComponent("metrics.jsonl")))

        // The names and shapes of the PyTorch twin `spectral_norm(nn.Conv2d(...))`, ..., in state_dict order.
        let model = try checkpointFile(straight, Checkpoint.modelFile)
        let discriminator = model.entries.filter { $0.name.hasPrefix("discriminator.") }
            .map { "\($0.name) \($0.tensor.shape)" }
        XCTAssertEqual(discriminator, [
            "discriminator.0.bias [4]", "discriminator.0.weight_orig [4, 1, 4, 4]",
            "discriminator.0.weight_u [4]", "discriminator.0.weight_v [16]",
            "discriminator.3.bias [8]", "discriminator.3.weight_orig [8, 4, 4, 4]",
            "discriminator.3.weight_u [8]", "discriminator.3.weight_v [64]",
            "discriminator.6.bias [1]", "discriminator.6.weight_orig [1, 392]",
            "discriminator.6.weight_u [1]", "discriminator.6.weight_v [392]",
        ])
        XCTAssertTrue(model.entries.contains { $0.name == "generator.0.weight" }, "the generator keeps plain weights")

        // weight_orig is what Adam trains; u and v are state, not parameters.
        let optimizer = try checkpointFile(straight, Checkpoint.optimizerFile).entries.map(\.name)
        XCTAssertTrue(optimizer.contains { $0.hasPrefix("discriminator.0.weight_orig.") }, "\(optimizer)")
        XCTAssertFalse(optimizer.contains { $0.contains("weight_u") || $0.contains("weight_v") }, "\(optimizer)")

        // Training moves u and v (a power iteration per discriminator forward).
        let early = try checkpointFile(straight, Checkpoint.modelFile, step: 3)
        XCTAssertNotEqual(early["discriminator.3.weight_v"]?.scalars, model["discriminator.3.weight_v"]?.scalars)

        // inspect counts weight_orig and the biases as parameters, not u and v: 68 + 520 + 393.
        let inspect = try GenStudioExecutable.run(["inspect", straight.path], logs: scratch)
        assertSuccess(inspect)
        XCTAssertTrue(inspect.stdout.contains("parameters in discriminator: 981\n"), inspect.stdout)

        // The run samples, and it is a different run from the plain recipe's.
        XCTAssertEqual(try LoadedGAN.load(checkpoint: straight).generate(latents: Tensor(zeros: [2, 8])).shape, [2, 1, 28, 28])
        let plain = try train("plain", recipe: try Fixtures.tinyRecipe)
        XCTAssertNotEqual(try checkpointFile(plain, Checkpoint.modelFile)["generator.0.weight"]?.scalars,
                          model["generator.0.weight"]?.scalars)
    }

    func testSpectralNormFalseChangesNoByte() throws {
        let plain = try train("plain", recipe: try Fixtures.tinyRecipe)
        let off = try train("off", recipe: try recipe(false))
        for file in [Checkpoint.modelFile, Checkpoint.optimizerFile] {
            XCTAssertEqual(try contents(of: try Checkpoint.resolve(plain).appendingPathComponent(file)),
                           try contents(of: try Checkpoint.resolve(off).appendingPathComponent(file)), file)
        }
    }

    func testSpectralNormIsCheckedAsARecipeKey() throws {
        let text = try String(contentsOf: try Fixtures.tinyRecipe, encoding: .utf8)
        let cases = [
            ("{ type = \"linear\", in = 392, out = 1 }", "{ type = \"linear\", in = 392, out = 1, spectral_norm = 1 }",
             "option 'spectral_norm' must be true or false"),
            ("{ type = \"batchnorm2d\", features = 4 }", "{ type = \"batchnorm2d\", features = 4, spectral_norm = true }",
             "spectral_norm"),
        ]
        for (layer, edited, phrase) in cases {
            XCTAssertTrue(text.contains(layer), layer)
            let url = scratch.appendingPathComponent("bad.toml")
            try Data(text.replacingOccurrences(of: layer, with: edited).utf8).write(to: url)
            XCTAssertThrowsError(try train("bad", recipe: url), edited) { error in
                XCTAssertTrue("\(error)".contains(phrase), "\(edited): \(error)")
            }
        }
    }
}
