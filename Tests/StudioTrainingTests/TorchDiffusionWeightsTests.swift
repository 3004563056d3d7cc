import Foundation
import StudioCore
import StudioIO
import XCTest
@testable import StudioTraining

/// Diffusion weights from PyTorch through `sample --recipe --weights`, as for GANs and VAEs: the
/// UNet's own `state_dict()` (names as `benchmarks/ddpm.py`'s UNet has them, which UNetTwinTests
/// checks against PyTorch), or one under `unet.`, with any sampler.
final class TorchDiffusionWeightsTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws { scratch = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private var recipe: URL { get throws { try Fixtures.directory.appendingPathComponent("tiny-ddpm.toml") } }

    private func run(_ arguments: [String]) throws -> ProcessResult { try GenStudioExecutable.run(arguments, logs: scratch) }

    private func samples(_ url: URL) throws -> [Float] { try XCTUnwrap(try SafeTensors.read(from: url)["samples"]).scalars }

    /// `weights`' entries under `prefix`, renamed without it, with no metadata: a state dict as
    /// `safetensors.torch.save_file(unet.state_dict(), path)` writes it.
    private func stateDict(_ weights: SafeTensors, under prefix: String, renamedTo newPrefix: String = "", name: String) throws -> URL {
        let entries = weights.entries.filter { $0.name.hasPrefix(prefix) }
            .map { SafeTensors.Entry(name: newPrefix + String($0.name.dropFirst(prefix.count)), tensor: $0.tensor) }
        let url = scratch.appendingPathComponent(name)
        try SafeTensors(entries: entries).write(to: url)
        return url
    }

    func testPyTorchUNetStateDictsSampleLikeTheCheckpoint() throws {
        let runDirectory = scratch.appendingPathComponent("run")
        _ = try TrainingJob.start(recipe: try recipe, overrides: [try Fixtures.dataOverride, "train.steps=2"],
                                  outputs: scratch, runDirectory: runDirectory).run()
        let (_, checkpoint) = try Checkpoint.readModel(runDirectory)
        let sampling = ["--sampler", "ddim", "--denoising-steps", "4", "--count", "3", "--seed", "5"]
        let out = { (name: String) in self.scratch.appendingPathComponent(name) }

        assertSuccess(try run(["sample", runDirectory.path, "--no-ema", "--out", out("trained.safetensors").path] + sampling))
        assertSuccess(try run(["sample", runDirectory.path, "--out", out("averaged.safetensors").path] + sampling))

        let bare = try stateDict(checkpoint, under: "unet.", name: "unet-state-dict.safetensors")
        let bareResult = try run(["sample", "--recipe", try recipe.path, "--weights", bare.path, "--out", out("bare.safetensors").path] + sampling)
        assertSuccess(bareResult)
        XCTAssertTrue(bareResult.stdout.contains("(ddim, 4 steps"), bareResult.stdout)
        XCTAssertEqual(try samples(out("bare.safetensors")), try samples(out("trained.safetensors")), "the UNet's own state dict is the trained weights")

        let prefixed = try stateDict(checkpoint, under: "unet.", renamedTo: "unet.", name: "model-state-dict.safetensors")
        assertSuccess(try run(["sample", "--recipe", try recipe.path, "--weights", prefixed.path, "--out", out("prefixed.safetensors").path] + sampling))
        XCTAssertEqual(try samples(out("prefixed.safetensors")), try samples(out("trained.safetensors")))

        // A file with a moving average samples with it, as a checkpoint does.
        let both = try stateDict(checkpoint, under: "", name: "with-average.safetensors")
        assertSuccess(try run(["sample", "--recipe", try recipe.path, "--weights", both.path, "--out", out("both.safetensors").path] + sampling))
        XCTAssertEqual(try samples(out("both.safetensors")), try samples(out("averaged.safetensors")))

        // Weights of another model: the file is named, no internal type name is.
        let gan = try run(["sample", "--recipe", try recipe.path, "--weights", try Fixtures.torchWeights.path, "--out", out("x.png").path])
        assertCleanFailure(gan, mentions: [try Fixtures.torchWeights.path, "do not match the model"])
        for typeName in ["Loaded", "GenerativeModel", "TrainingTask", "SafeTensors", "ModelConfig"] {
            XCTAssertFalse(gan.output.contains(typeName), gan.output)
            XCTAssertFalse(bareResult.output.contains(typeName), bareResult.output)
        }
    }
}
