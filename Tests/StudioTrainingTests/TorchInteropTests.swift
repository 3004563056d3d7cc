import Foundation
import StudioCore
import StudioIO
import XCTest
@testable import StudioTraining

/// Weights move from PyTorch to genstudio: the tiny recipe's PyTorch twin (Fixtures/make_torch_weights.py,
/// torch 1.13) saved its state dict as safetensors and its generator's outputs for fixed latents.
final class TorchInteropTests: XCTestCase {
    private func expected(_ name: String) throws -> Tensor {
        try XCTUnwrap(try SafeTensors.read(from: try Fixtures.torchExpected)[name], "no \(name) in the fixture")
    }

    private func assertClose(_ actual: Tensor, _ expected: Tensor, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.shape, expected.shape, file: file, line: line)
        let error = zip(actual.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThan(error, 1e-5, "largest difference from PyTorch", file: file, line: line)
    }

    func testGeneratorLoadedFromAPyTorchStateDictMatchesPyTorch() throws {
        let model = try LoadedGAN.load(recipe: try Fixtures.tinyRecipe, weights: try Fixtures.torchWeights)
        XCTAssertNil(model.step)
        let latents = try expected("latents")
        XCTAssertEqual(latents.shape, [6, 8])
        assertClose(model.generate(latents: latents), try expected("images"))
        assertClose(model.generate(latents: latents, useBatchStatistics: true), try expected("images_batch_statistics"))
    }

    func testCommandLineSamplesPyTorchWeightsWithPyTorchLatents() throws {
        let scratch = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("twin.safetensors")
        let result = try GenStudioExecutable.run(["sample", "--recipe", try Fixtures.tinyRecipe.path,
                                                  "--weights", try Fixtures.torchWeights.path,
                                                  "--latents", try Fixtures.torchExpected.path, "--out", out.path], logs: scratch)
        assertSuccess(result)
        let samples = try XCTUnwrap(try SafeTensors.read(from: out)["samples"])
        assertClose(samples, try expected("images"))

        // The same file without a recipe is refused with a pointer to --recipe/--weights.
        let bare = try GenStudioExecutable.run(["sample", try Fixtures.torchWeights.path, "--out", out.path], logs: scratch)
        assertCleanFailure(bare, mentions: [try Fixtures.torchWeights.path, "no model config", "--recipe RECIPE --weights"])
    }
}
