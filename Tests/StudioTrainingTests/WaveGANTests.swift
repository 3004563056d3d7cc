import Foundation
import StudioCore
import StudioModels
import StudioNN
import XCTest
@testable import StudioTraining

/// WaveGAN as recipe layers: shapes, PyTorch twin names (benchmarks/wavegan.py), a WGAN-GP step, the bench.
final class WaveGANTests: XCTestCase {
    func testConfigsForThePaperAndTheRecipeLengths() throws {
        let paper = try WaveGAN.config(width: 64, length: 16384)
        XCTAssertEqual(paper.generator.layers[0].options["out"], .int(1024 * 16), "dense to 16d x 16 steps")
        XCTAssertEqual(try paper.generator.outputShape(for: [1, 100], name: "g"), [1, 1, 16384])
        let short = try WaveGAN.config(width: 2, length: 8192, classCount: 10, embeddingSize: 3)
        XCTAssertEqual(short.imageShape, [1, 8192])
        XCTAssertEqual(short.generatorInputShape, [1, 103])
        XCTAssertEqual(short.featureSize, 32 * 8, "16d channels x 8 steps")
        XCTAssertEqual(short.discriminator.layers.filter { $0.kind == .phaseshuffle }.count, 4)
        XCTAssertThrowsError(try WaveGAN.config(width: 2, length: 5000)) { XCTAssertTrue("\($0)".contains("multiple of 1024"), "\($0)") }
    }

    func testCheckpointNamesAreThoseOfThePyTorchTwin() throws {
        var generator = RandomGenerator(seed: 1)
        let gan = try GAN(config: try WaveGAN.config(width: 1, length: 2048), using: &generator)
        let shapes = Dictionary(uniqueKeysWithValues: gan.namedParameters.map { ($0.name, $0.parameter.shape.dimensions) })
        // benchmarks/wavegan.py's twin(1, 2048): Linear, Unflatten, (ReLU, ConvTranspose1d) x5, Tanh; (Conv1d, LeakyReLU[, PhaseShuffle]) x5, Flatten, Linear.
        var expected: [String: [Int]] = ["generator.0.weight": [32, 100], "generator.0.bias": [32],
                                         "discriminator.15.weight": [1, 32], "discriminator.15.bias": [1]]
        let widths = [16, 8, 4, 2, 1, 1]
        for layer in 0..<5 {
            expected["generator.\(3 + 2 * layer).weight"] = [widths[layer], widths[layer + 1], 25]
            expected["generator.\(3 + 2 * layer).bias"] = [widths[layer + 1]]
            let reversed = Array(widths.reversed())
            expected["discriminator.\(3 * layer).weight"] = [reversed[layer + 1], reversed[layer], 25]
            expected["discriminator.\(3 * layer).bias"] = [reversed[layer + 1]]
        }
        XCTAssertEqual(shapes, expected)
    }

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
