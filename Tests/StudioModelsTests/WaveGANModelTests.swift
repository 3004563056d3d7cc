import Foundation
import StudioCore
import StudioModels
import StudioNN
import XCTest

/// WaveGAN as recipe layers: shapes for the paper's and the recipe's lengths, and the PyTorch twin's
/// names (benchmarks/wavegan.py).
final class WaveGANModelTests: XCTestCase {
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
}
