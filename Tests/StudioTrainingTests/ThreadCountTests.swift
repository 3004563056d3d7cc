import Foundation
import StudioCore
import XCTest
@testable import StudioTraining

/// Issue 20 item 8: every shipped recipe family, at a tiny size, saves the same bytes after a few
/// steps with 1, 2 and 16 compute threads, so that a run resumes on another machine exactly.
///
/// The image recipes are widened to hold at least one product that sums more terms than OpenBLAS's
/// block depth (320) and is large enough for OpenBLAS to thread it (such as `[32, 392] · [392, 64]`):
/// the products that gave other bits before GEMMs were cut into panels by shape.
final class ThreadCountTests: XCTestCase {
    private var scratch: URL!
    private var savedThreads = 1

    override func setUpWithError() throws {
        scratch = try makeTemporaryDirectory()
        savedThreads = ComputeThreads.count
    }

    override func tearDownWithError() throws {
        ComputeThreads.count = savedThreads
        try? FileManager.default.removeItem(at: scratch)
    }

    /// A recipe of one family: its text, the overrides that shrink it, and the data folder.
    private struct Family {
        var name: String
        var text: String
        var overrides: [String] = []
    }

    /// The fixture recipe `name` with each `(old, new)` replaced, failing when one is missing.
    private func fixture(_ name: String, replacing pairs: [(String, String)] = []) throws -> String {
        var text = try String(contentsOf: Fixtures.directory.appendingPathComponent(name), encoding: .utf8)
        for (old, new) in pairs {
            XCTAssertTrue(text.contains(old), "\(name) has no '\(old)'")
            text = text.replacingOccurrences(of: old, with: new)
        }
        return text
    }

    /// The tiny GAN discriminators end in a 392 -> 64 -> 1 head instead of 392 -> 1, so that one
    /// product sums over 392 > 320 terms.
    private static let widerHead = ("{ type = \"linear\", in = 392, out = 1 },",
                                    "{ type = \"linear\", in = 392, out = 64 }, { type = \"leakyrelu\", slope = 0.2 }, { type = \"linear\", in = 64, out = 1 },")

    /// VAETrainingTests' MLP VAE with a 64-wide hidden layer instead of 8.
    private static func mlpVAE(model: String = "", encoderInput: Int = 784, decoderInput: Int? = nil) -> String {
        VAETrainingTests.recipe(model: model, encoderInput: encoderInput, decoderInput: decoderInput)
            .replacingOccurrences(of: "out = 8 }", with: "out = 64 }")
            .replacingOccurrences(of: "in = 8,", with: "in = 64,")
    }

    private func families(audio: URL) throws -> [Family] {
        let mnist = try Fixtures.dataOverride
        let convVAE = VAETrainingTests.recipe().replacingOccurrences(of: """
              { type = "flatten", start = 1 },
              { type = "linear", in = 784, out = 8 },
            """, with: """
              { type = "conv2d", in = 1, out = 4, kernel = 4, stride = 2, padding = 1 },
              { type = "relu" },
              { type = "flatten", start = 1 },
              { type = "linear", in = 784, out = 64 },
            """).replacingOccurrences(of: "in = 8,", with: "in = 64,").replacingOccurrences(of: """
              { type = "linear", in = 3, out = 784 },
              { type = "unflatten", axis = 1, shape = [1, 28, 28] },
            """, with: """
              { type = "linear", in = 3, out = 784 },
              { type = "unflatten", axis = 1, shape = [4, 14, 14] },
              { type = "convtranspose2d", in = 4, out = 1, kernel = 4, stride = 2, padding = 1 },
            """)
        XCTAssertTrue(convVAE.contains("convtranspose2d") && convVAE.contains("conv2d"), "the conv VAE recipe was not built")
        let audioData = "data.path=\(audio.path)"
        return [
            Family(name: "dcgan", text: try fixture("tiny-gan.toml", replacing: [Self.widerHead]),
                   overrides: [mnist, "train.batch=32"]),
            Family(name: "cdcgan", text: try fixture("tiny-cgan.toml", replacing: [Self.widerHead]),
                   overrides: [mnist, "train.batch=32"]),
            Family(name: "sgan", text: try fixture("tiny-sgan.toml"), overrides: [mnist, "train.batch=32"]),
            Family(name: "ssvae", text: try fixture("tiny-ssvae.toml"), overrides: [mnist]),
            Family(name: "vae-mlp", text: Self.mlpVAE()),
            Family(name: "vae-conv", text: convVAE),
            Family(name: "cvae", text: Self.mlpVAE(model: "classes = 10\nembedding_size = 4", encoderInput: 2 * 784, decoderInput: 7)),
            Family(name: "classifier", text: try fixture("tiny-classifier.toml"), overrides: [mnist, "train.batch=64"]),
            Family(name: "wavegan", text: try fixture("tiny-wavegan.toml"), overrides: [audioData]),
            Family(name: "specgan", text: try fixture("tiny-specgan.toml"), overrides: [audioData]),
            // The UNet families on 16x16 spectrograms: 28x28 images cost seconds in a debug build.
            Family(name: "ddpm", text: try fixture("tiny-specddpm.toml"), overrides: [audioData, "model.classes=0", "train.batch=2", "sample.interval=1000"]),
            Family(name: "ddpm-cond", text: try fixture("tiny-specddpm.toml"), overrides: [audioData, "train.batch=2", "sample.interval=1000"]),
            Family(name: "classifier-audio", text: try fixture("tiny-spec-classifier.toml"), overrides: [audioData]),
        ]
    }

    /// The bytes of every `.safetensors` file in the run's latest checkpoint, by file name.
    private func checkpointBytes(_ run: URL) throws -> [String: Data] {
        let checkpoints = run.appendingPathComponent("checkpoints")
        let latest = try XCTUnwrap(listing(checkpoints).last, "no checkpoint in \(run.path)")
        let folder = checkpoints.appendingPathComponent(latest)
        var bytes: [String: Data] = [:]
        for name in listing(folder) where name.hasSuffix(".safetensors") {
            bytes[name] = try contents(of: folder.appendingPathComponent(name))
        }
        XCTAssertNotNil(bytes["model.safetensors"], "no model.safetensors in \(folder.path)")
        return bytes
    }

    func testEveryRecipeFamilySavesTheSameBytesWithOneTwoAndSixteenThreads() throws {
        let audio = scratch.appendingPathComponent("tones")
        try AudioTrainingTests.makeToneFolder(at: audio)
        for family in try families(audio: audio) {
            let recipe = scratch.appendingPathComponent("\(family.name).toml")
            try Data(family.text.utf8).write(to: recipe)
            var reference: [String: Data]?
            for threads in [1, 2, 16] {
                let run = scratch.appendingPathComponent("\(family.name)-\(threads)")
                let session = try TrainingJob.start(recipe: recipe, overrides: family.overrides + ["train.threads=\(threads)"],
                                                    outputs: scratch, runDirectory: run)
                XCTAssertEqual(ComputeThreads.count, threads, family.name)
                _ = try session.run(maxSteps: 1)
                let bytes = try checkpointBytes(run)
                if let reference {
                    XCTAssertEqual(Set(bytes.keys), Set(reference.keys), family.name)
                    for (name, data) in reference {
                        XCTAssertTrue(bytes[name] == data, "\(family.name): \(name) differs between 1 and \(threads) threads")
                    }
                } else {
                    reference = bytes
                }
            }
        }
    }

    /// A command's `--threads` (`ComputeThreads.fixed`) holds for the runs it starts, whatever their
    /// recipes' train.threads say; without it each run applies its recipe's.
    func testAFixedThreadCountOutlastsTheRecipesOfTheRunsACommandStarts() throws {
        defer { ComputeThreads.fixed = nil }
        let overrides = [try Fixtures.dataOverride, "train.steps=1", "train.threads=2"]
        ComputeThreads.fixed = 1
        _ = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: overrides, outputs: scratch,
                                  runDirectory: scratch.appendingPathComponent("fixed"))
        XCTAssertEqual(ComputeThreads.count, 1)
        ComputeThreads.fixed = nil
        _ = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: overrides, outputs: scratch,
                                  runDirectory: scratch.appendingPathComponent("recipe"))
        XCTAssertEqual(ComputeThreads.count, 2)
    }
}
