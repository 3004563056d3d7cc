import Foundation
import StudioCore
import StudioModels
import XCTest
@testable import StudioTraining

/// `TrainingJob.benchmarkTask`, what `genstudio bench` times: the task `train` builds, on random
/// examples of the recipe's shape, for every family; and `genstudio bench train` end to end.
/// Nothing here looks at a duration.
final class TrainingBenchmarkTests: XCTestCase {
    private func fixture(_ name: String) throws -> URL { try Fixtures.directory.appendingPathComponent(name) }

    /// Asserts the step input's shape and labels, runs two steps and checks their metrics.
    private func assertSteps(_ bench: TrainingBenchmark, examples: Int, exampleShape: [Int], labels: [Int],
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(bench.batch.shape, Shape([examples] + exampleShape), file: file, line: line)
        XCTAssertEqual(bench.labels, labels, file: file, line: line)
        let range = bench.task.valueRange
        XCTAssertTrue(bench.batch.scalars.allSatisfy { range.contains($0) }, "examples in \(range)", file: file, line: line)
        let metrics = bench.runSteps(0..<2)
        XCTAssertEqual(metrics.count, bench.task.metricNames.count, file: file, line: line)
        XCTAssertTrue(metrics.allSatisfy(\.isFinite), "\(metrics)", file: file, line: line)
    }

    func testGANsTakeTheirCriticBatchesAndLabelsAndTimeTheGenerator() throws {
        let plain = try TrainingJob.benchmarkTask(recipe: try fixture("tiny-gan.toml"), overrides: ["train.batch=3"])
        XCTAssertTrue(plain.task is AdversarialTask)
        assertSteps(plain, examples: 3, exampleShape: [1, 28, 28], labels: [])
        XCTAssertEqual(try plain.timeSampling(count: 5)?.method, .generator)
        XCTAssertEqual(try plain.timeSampling(count: 5)?.count, 5)

        let conditional = try TrainingJob.benchmarkTask(recipe: try fixture("tiny-cgan.toml"), overrides: ["train.batch=3"])
        assertSteps(conditional, examples: 3, exampleShape: [1, 28, 28], labels: [0, 1, 2])
        XCTAssertEqual(try conditional.timeSampling(count: 4)?.method, .generator)

        // WGAN-GP with two critic steps: two batches per step, the shape from [audio].
        let wave = try TrainingJob.benchmarkTask(recipe: try fixture("tiny-wavegan.toml"))
        XCTAssertEqual(wave.task.batchesPerStep, 2)
        assertSteps(wave, examples: 8, exampleShape: [1, 256], labels: [])
        XCTAssertEqual(wave.task.metricNames.last, "gradient_penalty")
        XCTAssertEqual(try wave.timeSampling(count: 2)?.method, .generator)

        let spectrogram = try TrainingJob.benchmarkTask(recipe: try fixture("tiny-specgan.toml"), overrides: ["train.batch=2"])
        assertSteps(spectrogram, examples: 2 * spectrogram.task.batchesPerStep, exampleShape: [1, 16, 16], labels: [])
    }

    func testDiffusionTimesDDIMWithTheAskedSteps() throws {
        let bench = try TrainingJob.benchmarkTask(recipe: try fixture("tiny-ddpm.toml"), overrides: ["train.batch=2"])
        XCTAssertTrue(bench.task is DiffusionTask)
        assertSteps(bench, examples: 2, exampleShape: [1, 28, 28], labels: [])
        let timing = try XCTUnwrap(try bench.timeSampling(count: 1, diffusionSteps: 2))
        XCTAssertEqual(timing.method, .ddim(steps: 2))
        XCTAssertEqual(timing.count, 1)
        XCTAssertThrowsError(try bench.timeSampling(count: 1, diffusionSteps: 21)) { XCTAssertTrue("\($0)".contains("1...20"), "\($0)") }
    }

    func testVAEsAndClassifiersGetARandomHeldOutSplit() throws {
        let (vaeRecipe, _) = try RecipeLoader.parse(VAETrainingTests.recipe(), path: "vae.toml", overrides: ["train.batch=4"])
        let vae = try TrainingJob.benchmarkTask(vaeRecipe, recipePath: "vae.toml")
        XCTAssertEqual(vae.task.valueRange, 0...1)
        assertSteps(vae, examples: 4, exampleShape: [1, 28, 28], labels: [])
        XCTAssertEqual(vae.task.evaluate().count, 3, "test ELBO terms on the random split")
        XCTAssertEqual(try vae.timeSampling(count: 3)?.method, .decoder)

        // No t10k files anywhere near: the held-out split is random.
        let classifier = try TrainingJob.benchmarkTask(recipe: try fixture("tiny-classifier.toml"),
                                                       overrides: ["train.batch=12", "data.path=/nonexistent"])
        assertSteps(classifier, examples: 12, exampleShape: [1, 28, 28], labels: (0..<12).map { $0 % 10 })
        let held = classifier.task.evaluate()
        XCTAssertEqual(held.count, 2)
        XCTAssertTrue(held.allSatisfy(\.isFinite), "\(held)")
        XCTAssertNil(try classifier.timeSampling(count: 2), "a classifier draws no samples")
    }

    func testARecipeMadeInCodeIsCheckedAsAFileIs() throws {
        let config = try WaveGAN.config(width: 1, length: 1024)
        var settings = TrainSettings()
        settings.batch = 2
        let fits = Recipe(model: .gan(config), train: settings, audio: AudioSettings(sampleRate: 8000, clipLength: 1024))
        assertSteps(try TrainingJob.benchmarkTask(fits, recipePath: "in code"), examples: 2, exampleShape: [1, 1024], labels: [])
        let misfit = Recipe(model: .gan(config), train: settings, audio: AudioSettings(sampleRate: 8000, clipLength: 2048))
        XCTAssertThrowsError(try TrainingJob.benchmarkTask(misfit, recipePath: "in code")) { error in
            XCTAssertTrue("\(error)".contains("in code: model.image_shape [1, 1024] does not fit the audio"), "\(error)")
        }
    }

    func testBenchTrainPrintsTrainingAndSamplingFigures() throws {
        let scratch = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let gan = try GenStudioExecutable.run(["bench", "train", try fixture("tiny-gan.toml").path, "--steps", "1", "--batch", "2",
                                               "--sample-batch", "3"], logs: scratch)
        assertSuccess(gan)
        XCTAssertTrue(gan.stdout.contains("genstudio gan \(try fixture("tiny-gan.toml").path): batch 2, threads"), gan.stdout)
        XCTAssertTrue(gan.stdout.contains("images/s") && gan.stdout.contains("ms/step"), gan.stdout)
        XCTAssertTrue(gan.stdout.contains("(generator, 3 at once)"), gan.stdout)

        let wave = try GenStudioExecutable.run(["bench", "train", try fixture("tiny-wavegan.toml").path, "--steps", "1", "--batch", "2",
                                                "--threads", "1"], logs: scratch)
        assertSuccess(wave)
        XCTAssertTrue(wave.stdout.contains("batch 2 (2 critic batches per step), threads 1"), wave.stdout)
        XCTAssertTrue(wave.stdout.contains("clips/s"), wave.stdout)

        let refused = try GenStudioExecutable.run(["bench", "train", try fixture("tiny-gan.toml").path, "--sample-steps", "5"], logs: scratch)
        assertCleanFailure(refused, mentions: ["--denoising-steps applies to diffusion recipes only"])
    }
}
