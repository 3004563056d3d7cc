import Foundation
import StudioCore
import StudioIO
import StudioModels
import XCTest
@testable import StudioTraining

/// The tiny classifier recipe on the 320-image fixture: it learns, logs loss and accuracy with held-out
/// scores at epoch ends, writes no grids, resumes byte for byte, and loads back from its checkpoint.
final class ClassifierTrainingTests: XCTestCase {
    private var scratch: URL!

    static var tinyRecipe: URL { get throws { try Fixtures.directory.appendingPathComponent("tiny-classifier.toml") } }

    override func setUpWithError() throws {
        scratch = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    private func start(_ name: String, _ overrides: [String] = []) throws -> TrainingSession {
        try TrainingJob.start(recipe: try Self.tinyRecipe, overrides: [try Fixtures.dataOverride] + overrides,
                              outputs: scratch, runDirectory: scratch.appendingPathComponent(name))
    }

    private func rows(_ run: URL) throws -> [[Substring]] {
        try String(contentsOf: RunDirectory(url: run).metricsCSV, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
    }

    func testTrainingLowersTheLossAndBeatsChanceOnHeldOutDigits() throws {
        // 4 epochs of 10 batches of 32: steps 10, 20, 30 and 40 end epochs; train.epochs sets the length.
        let session = try start("run")
        XCTAssertEqual(try session.run(), .finished)
        XCTAssertEqual(session.step, 40)
        let lines = try rows(session.run.url)
        XCTAssertEqual(lines[0], ["step", "loss", "accuracy", "test_loss", "test_accuracy"])
        XCTAssertEqual(lines.count, 41)
        let losses = lines.dropFirst().map { Double($0[1])! }
        let early = losses.prefix(5).reduce(0, +) / 5, late = losses.suffix(5).reduce(0, +) / 5
        XCTAssertLessThan(late, 0.6 * early, "training loss \(early) -> \(late)")
        let evaluated = lines.dropFirst().filter { $0[3] != "" }
        XCTAssertEqual(evaluated.map { Int($0[0])! }, [10, 20, 30, 40])
        let testAccuracy = Double(evaluated.last![4])!
        XCTAssertGreaterThan(testAccuracy, 0.6, "10 classes: chance is 0.1")
        XCTAssertLessThan(Double(evaluated.last![3])!, Double(evaluated.first![3])!, "test loss falls")
        // The held-out figures are the checkpoint's own: recompute them from the saved weights alone.
        let loaded = try LoadedClassifier.load(checkpoint: session.run.url)
        XCTAssertEqual(loaded.step, 40)
        let test = try ImageDataset.mnistFormat(directory: try Fixtures.mnistSmall, split: .test)
        let predicted = loaded.logits(test.batch(Array(0..<test.count), range: 0...1)).argmax(alongAxis: 1)
        let accuracy = Double(zip(predicted, test.labels).filter { $0 == $1 }.count) / Double(test.count)
        XCTAssertEqual(accuracy, testAccuracy, accuracy: 1e-9)
        XCTAssertEqual(listing(RunDirectory(url: session.run.url).samples), [], "a classifier draws no grids")
        let events = try contents(of: try XCTUnwrap(RunDirectory(url: session.run.url).eventFile))
        for tag in ["loss", "accuracy", "test_accuracy", "test_loss"] {
            XCTAssertNotNil(events.range(of: Data(tag.utf8)), "TensorBoard events lack \(tag)")
        }
    }

    func testResumedRunMatchesStraightRunByteForByte() throws {
        // Two epochs (20 steps); the split at 7 is mid-epoch and resuming re-derives the length from epochs.
        let overrides = ["train.epochs=2"]
        let straight = try start("straight", overrides)
        XCTAssertEqual(try straight.run(), .finished)
        let first = try start("split", overrides)
        XCTAssertEqual(try first.run(maxSteps: 7), .stepLimit)
        let resumed = try TrainingJob.resume(first.run.url)
        XCTAssertEqual(resumed.step, 7)
        XCTAssertEqual(try resumed.run(), .finished)
        XCTAssertEqual(resumed.step, 20)
        let a = try Checkpoint.resolve(straight.run.url), b = try Checkpoint.resolve(first.run.url)
        XCTAssertEqual(a.lastPathComponent, Checkpoint.name(step: 20))
        XCTAssertEqual(b.lastPathComponent, Checkpoint.name(step: 20))
        for name in [Checkpoint.modelFile, Checkpoint.optimizerFile] {
            XCTAssertTrue(try contents(of: a.appendingPathComponent(name)) == contents(of: b.appendingPathComponent(name)),
                          "\(name) differs after resuming")
        }
        XCTAssertEqual(try contents(of: RunDirectory(url: straight.run.url).metricsJSONL),
                       try contents(of: RunDirectory(url: first.run.url).metricsJSONL), "metrics differ")
    }

    func testEpochsAndStepsAreExclusiveAndEpochsMustBePositive() throws {
        let text = try String(contentsOf: try Self.tinyRecipe, encoding: .utf8)
        XCTAssertThrowsError(try RecipeLoader.parse(text, path: "c.toml", overrides: ["train.steps=3"])) { error in
            XCTAssertTrue("\(error)".contains("c.toml: train.epochs: give train.steps or train.epochs, not both"), "\(error)")
        }
        XCTAssertThrowsError(try RecipeLoader.parse(text, path: "c.toml", overrides: ["train.epochs=0"])) { error in
            XCTAssertTrue("\(error)".contains("c.toml: train.epochs must be positive, got 0"), "\(error)")
        }
        XCTAssertThrowsError(try RecipeLoader.parse(text, path: "c.toml", overrides: ["train.epochs=\"two\""])) { error in
            XCTAssertTrue("\(error)".contains("train.epochs: wrong type, expected an integer"), "\(error)")
        }
        let (recipe, _) = try RecipeLoader.parse(text, path: "c.toml")
        XCTAssertEqual(recipe.train.epochs, 4)
        XCTAssertEqual(recipe.resolvingEpochs(trainingCount: 100).train.steps, 4 * 3, "partial batches are dropped")
        let (counted, _) = try RecipeLoader.parse(text.replacingOccurrences(of: "epochs = 4", with: "steps = 9"), path: "c.toml")
        XCTAssertNil(counted.train.epochs)
        XCTAssertEqual(counted.resolvingEpochs(trainingCount: 100).train.steps, 9)
    }

    func testLoadersRefuseOtherFamiliesByName() throws {
        let gan = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: [try Fixtures.dataOverride, "train.steps=1"],
                                        outputs: scratch, runDirectory: scratch.appendingPathComponent("gan"))
        _ = try gan.run()
        XCTAssertThrowsError(try LoadedClassifier.load(checkpoint: gan.run.url)) { error in
            XCTAssertTrue("\(error)".contains("holds a gan model, not a classifier"), "\(error)")
        }
        let classifier = try start("classifier", ["train.epochs=1"])
        _ = try classifier.run()
        XCTAssertThrowsError(try LoadedGAN.load(checkpoint: classifier.run.url)) { error in
            XCTAssertTrue("\(error)".contains("holds a classifier, which generates nothing"), "\(error)")
        }
        XCTAssertThrowsError(try LoadedVAE.load(checkpoint: classifier.run.url)) { error in
            XCTAssertTrue("\(error)".contains("holds a classifier, which generates nothing"), "\(error)")
        }
    }

    func testLoadedClassifierServesEvaluationAndFilters() throws {
        let session = try start("run", ["train.epochs=1"])
        _ = try session.run()
        let loaded = try LoadedClassifier.load(checkpoint: Checkpoint.resolve(session.run.url).appendingPathComponent(Checkpoint.modelFile))
        let test = try ImageDataset.mnistFormat(directory: try Fixtures.mnistSmall, split: .test)
        let images = test.batch(Array(0..<10), range: 0...1)
        let evaluation: FeatureClassifier = loaded
        let (features, probabilities) = try evaluation.featuresAndProbabilities(images)
        XCTAssertEqual(features.shape, [10, 32])
        XCTAssertEqual(evaluation.classCount, 10)
        let filter: SampleFilter = loaded
        let labels = Array(test.labels.prefix(10))
        let confidence = try filter.confidence(images: images, labels: labels)
        for (i, label) in labels.enumerated() { XCTAssertEqual(confidence[i], probabilities.scalars[i * 10 + label], accuracy: 1e-6) }
        XCTAssertEqual(filter.identity.count, 64, "the SHA-256 of the weights file")
        XCTAssertThrowsError(try evaluation.featuresAndProbabilities(Tensor(zeros: [2, 1, 32, 32]))) { error in
            XCTAssertTrue("\(error)".contains("takes [N, 1, 28, 28] images, got [2, 1, 32, 32]"), "\(error)")
        }
        XCTAssertThrowsError(try filter.confidence(images: images, labels: [10] + labels.dropFirst())) { error in
            XCTAssertTrue("\(error)".contains("labels in 0..<10"), "\(error)")
        }
    }

    func testDataThatDoesNotFitTheClassifierIsRefused() throws {
        let original = try String(contentsOf: try Self.tinyRecipe, encoding: .utf8)
        let fewClasses = scratch.appendingPathComponent("five.toml")
        try Data(original.replacingOccurrences(of: "classes = 10", with: "classes = 5")
            .replacingOccurrences(of: "in = 32, out = 10", with: "in = 32, out = 5").utf8).write(to: fewClasses)
        XCTAssertThrowsError(try TrainingJob.start(recipe: fewClasses, overrides: [try Fixtures.dataOverride], outputs: scratch,
                                                   runDirectory: scratch.appendingPathComponent("five"))) { error in
            XCTAssertTrue("\(error)".contains("needs training labels in 0..<5"), "\(error)")
            XCTAssertTrue("\(error)".contains("found 0...9"), "\(error)")
        }
        let text = original.replacingOccurrences(of: "[1, 28, 28]", with: "[1, 32, 32]").replacingOccurrences(of: "in = 784", with: "in = 1024")
        let recipe = scratch.appendingPathComponent("big.toml")
        try Data(text.utf8).write(to: recipe)
        XCTAssertThrowsError(try TrainingJob.start(recipe: recipe, overrides: [try Fixtures.dataOverride], outputs: scratch,
                                                   runDirectory: scratch.appendingPathComponent("big"))) { error in
            XCTAssertTrue("\(error)".contains("training examples in \(try! Fixtures.mnistSmall.path) are [1, 28, 28], but model.image_shape in \(recipe.path) is [1, 32, 32]"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("big").path))
    }
}
