import Foundation
import StudioCore
import StudioModels
import StudioNN
import XCTest
@testable import StudioTraining

/// WaveGAN in training: a WGAN-GP step, the bench, the shipped recipe (its configs and PyTorch twin
/// names are checked in StudioModelsTests' WaveGANModelTests).
final class WaveGANTests: XCTestCase {
    func testAWGANGPStepOnClipsIsDeterministicAndFinite() throws {
        let config = try WaveGAN.config(width: 1, length: 1024)
        var settings = TrainSettings()
        settings.batch = 2
        settings.loss = .wganGP
        settings.criticSteps = 2
        var generator = RandomGenerator(seed: 5)
        let real = Tensor.randomUniform([4, 1, 1024], lower: -1, upper: 1, using: &generator)
        let first = try AdversarialTask(config: config, settings: settings, sampleCount: 2)
        let second = try AdversarialTask(config: config, settings: settings, sampleCount: 2)
        let a = first.step(batch: real, labels: [], step: 0), b = second.step(batch: real, labels: [], step: 0)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.count, 5)
        XCTAssertTrue(a.allSatisfy(\.isFinite), "\(a)")
        XCTAssertEqual(first.sampleImages().shape, [2, 1, 1024])
        XCTAssertEqual(first.gan.generator.parameters.map(\.value.scalars), second.gan.generator.parameters.map(\.value.scalars))
    }

    func testBenchPrintsTheStepTime() throws {
        let scratch = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let result = try GenStudioExecutable.run(["bench", "wavegan", "--width", "1", "--length", "1024", "--batch", "2",
                                                  "--critic-steps", "1", "--steps", "1", "--threads", "1"], logs: scratch)
        assertSuccess(result)
        XCTAssertTrue(result.stdout.contains("genstudio wavegan step: batch 2, width 1, length 1024, critic steps 1"), result.stdout)
        XCTAssertTrue(result.stdout.contains("clips/s") && result.stdout.contains("ms/step"), result.stdout)
    }
}

extension WaveGANTests {
    func testShippedRecipeIsWaveGANConfigAtWidth8() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../recipes/wavegan-digits.toml").standardized
        let recipe = try RecipeLoader.parse(try String(contentsOf: url, encoding: .utf8), path: "recipes/wavegan-digits.toml").recipe
        XCTAssertEqual(recipe.model, .gan(try WaveGAN.config(width: 8, length: 8192)))
        XCTAssertEqual(recipe.train.resolvedLoss, .wganGP)
        XCTAssertEqual(recipe.train.resolvedCriticSteps, 5)
        XCTAssertEqual([recipe.train.lr, recipe.train.beta1, recipe.train.beta2], [1e-4, 0.5, 0.9])
    }
}
