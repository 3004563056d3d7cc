import Foundation
import StudioModels
import XCTest
@testable import StudioTraining

/// Every recipe in recipes/ loads, validates and describes a buildable model; the audio recipes
/// agree with their data representation.
final class ShippedRecipesTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../recipes").standardized

    private func load(_ name: String) throws -> Recipe {
        let url = Self.directory.appendingPathComponent(name)
        return try RecipeLoader.parse(try String(contentsOf: url, encoding: .utf8), path: "recipes/\(name)").recipe
    }

    func testEveryShippedRecipeLoads() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { $0.hasSuffix(".toml") }
        XCTAssertGreaterThanOrEqual(names.count, 12)
        for name in names {
            XCTAssertNoThrow(try load(name), name)
        }
    }

    /// The few-shot and few-labels recipes train on what their protocols give them.
    func testSmallDataRecipesTakeTheirSubsets() throws {
        for name in ["cvae-mnist-fewshot.toml", "cdcgan-mnist-fewshot.toml", "ddpm-cond-mnist-fewshot.toml"] {
            let recipe = try load(name)
            XCTAssertEqual(recipe.data.perClass, 10, name)
            XCTAssertLessThanOrEqual(recipe.train.batch, 100, "\(name): one batch must fit in 10 images per class")
            XCTAssertEqual(recipe.model.classCount, 10, "\(name): the protocol draws labelled samples")
        }
        let semiSupervised = try load("ssvae-mnist.toml")
        XCTAssertEqual(semiSupervised.model.semiSupervisedClassCount, 10)
        XCTAssertEqual(semiSupervised.data.labelledPerClass, 10)
        XCTAssertEqual(semiSupervised.augment?.isEnabled, true, "its classifier learns from augmented labelled images")
    }

    func testAudioRecipesDescribeTheirExamples() throws {
        for name in ["wavegan-digits.toml", "cwavegan-digits.toml"] {
            let recipe = try load(name)
            XCTAssertEqual(recipe.audio, AudioSettings(sampleRate: 8000, clipLength: 8192), name)
            XCTAssertEqual(recipe.model.imageShape, [1, 8192], name)
        }
        XCTAssertEqual(try load("cwavegan-digits.toml").model,
                       .gan(try WaveGAN.config(width: 8, length: 8192, classCount: 10, embeddingSize: 10)))
        for name in ["specgan-digits.toml", "ddpm-spec-digits.toml"] {
            let recipe = try load(name)
            let audio = try XCTUnwrap(recipe.audio, name)
            XCTAssertEqual(audio.representation, .spectrogram, name)
            XCTAssertEqual(audio.exampleShape, [1, 64, 64], name)
            XCTAssertEqual(recipe.model.imageShape, audio.exampleShape, name)
        }
        guard case .diffusion(let diffusion) = try load("ddpm-spec-digits.toml").model else { return XCTFail("ddpm-spec-digits is not diffusion") }
        XCTAssertEqual(diffusion.classes, 10, "conditional, so that a user can ask for a digit")
    }
}
