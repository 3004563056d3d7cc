import Foundation
import StudioCore
import StudioIO
import XCTest
@testable import StudioTraining

/// `data.per_class = K`: a run trains on K examples of each class, the very ones `eval augmentation
/// --real-per-class K` picks for the same seed, records them in `subset.json`, counts epochs over
/// them and resumes byte for byte.
final class ClassSubsetTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    private var fixtureTrain: ImageDataset { get throws { try ImageDataset.mnistFormat(directory: try Fixtures.mnistSmall, split: .train) } }

    private func start(_ recipe: URL, _ name: String, _ overrides: [String]) throws -> TrainingSession {
        try TrainingJob.start(recipe: recipe, overrides: [try Fixtures.dataOverride] + overrides,
                              outputs: scratch, runDirectory: scratch.appendingPathComponent(name))
    }

    /// What `eval augmentation` chose on the fixture before `ClassSubset` existed, as (K, seed, indices):
    /// if either side's draw changes, the README's measurements no longer hold and this fails.
    static let recordedChoices: [(perClass: Int, seed: UInt64, indices: [Int])] = [
        (2, 11, [118, 37, 105, 6, 187, 25, 157, 49, 163, 115, 259, 278, 238, 36, 223, 307, 202, 160, 57, 172]),
        (1, 0, [260, 134, 318, 242, 275, 182, 39, 301, 125, 313]),
        (7, 5, [114, 118, 68, 229, 34, 63, 293, 224, 211, 134, 174, 8, 309, 310, 252, 159, 213, 187, 262, 277, 178,
                215, 27, 149, 250, 228, 44, 203, 194, 222, 131, 272, 166, 314, 26, 11, 219, 239, 35, 316, 100, 191,
                147, 299, 218, 204, 238, 274, 151, 71, 288, 263, 29, 123, 185, 38, 295, 245, 17, 97, 55, 300, 46,
                54, 153, 80, 45, 170, 133, 43]),
    ]

    func testTheSubsetIsEvalAugmentationsRealSet() throws {
        let train = try fixtureTrain
        for (perClass, seed, indices) in Self.recordedChoices {
            let subset = try ClassSubset(perClass: perClass, labels: train.labels, classes: 10, seed: seed)
            XCTAssertEqual(subset.indices, indices, "K = \(perClass), seed \(seed)")
            XCTAssertEqual(subset.count, 10 * perClass)
            let (real, chosen) = try AugmentationEvaluation.select(perClass: perClass, from: train, classes: 10, seed: seed, place: "fixture")
            XCTAssertEqual(chosen, indices, "eval augmentation, K = \(perClass), seed \(seed)")
            XCTAssertEqual(real.pixels, AugmentationEvaluation.subset(train, indices).pixels)
        }
        XCTAssertThrowsError(try ClassSubset(perClass: 1000, labels: train.labels, classes: 10, seed: 0)) { error in
            XCTAssertEqual((error as? ClassSubset.Shortfall)?.label, 0)
        }
    }

    func testAClassifierRunTrainsOnTheSubsetCountsEpochsOverItAndResumesByteForByte() throws {
        // K = 7 of 10 classes: 70 images, two full batches of 32 per epoch, so train.epochs = 4 is 8 steps.
        let overrides = ["data.per_class=7", "data.subset_seed=5", "checkpoint.interval=3"]
        let recipe = try ClassifierTrainingTests.tinyRecipe
        let straight = try start(recipe, "straight", overrides)
        XCTAssertEqual(straight.recipe.train.steps, 8)
        XCTAssertEqual(straight.data.count, 70)
        let train = try fixtureTrain
        let expected = Self.recordedChoices[2].indices
        let evaluation = try AugmentationEvaluation(classifierRecipe: recipe, data: try Fixtures.mnistSmall,
                                                    synthetic: try Fixtures.mnistSmall, realPerClass: 7, seed: 5, steps: 1)
        XCTAssertEqual(evaluation.realIndices, expected)
        // The session's examples are those images, in that order, and nothing else.
        XCTAssertEqual(straight.data.labels, expected.map { train.labels[$0] })
        XCTAssertEqual(straight.data.batch(Array(0..<70), range: 0...1).scalars, train.batch(expected, range: 0...1).scalars)
        let recorded = try XCTUnwrap(try ClassSubset.read(from: straight.run.url))
        XCTAssertEqual([recorded.perClass, recorded.count], [7, 70])
        XCTAssertEqual(recorded.seed, 5)
        XCTAssertEqual(recorded.indices, expected)
        let json = try JSONSerialization.jsonObject(with: try contents(of: straight.run.url.appendingPathComponent("subset.json"))) as? [String: Any]
        XCTAssertEqual(json?.keys.sorted(), ["count", "indices", "per_class", "seed"])

        XCTAssertEqual(try straight.run(), .finished)
        XCTAssertEqual(straight.step, 8)
        // Held-out scores at each epoch end: every second step. The test split is the whole of it.
        let rows = try String(contentsOf: straight.run.metricsCSV, encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        XCTAssertEqual(rows.filter { $0[3] != "" }.map { Int($0[0])! }, [2, 4, 6, 8])
        XCTAssertEqual((straight.task as? ClassificationTask)?.test?.count, 64)

        let split = try start(recipe, "split", overrides)
        XCTAssertEqual(try split.run(maxSteps: 3), .stepLimit)
        let resumed = try TrainingJob.resume(split.run.url)
        XCTAssertEqual(resumed.step, 3)
        XCTAssertEqual(resumed.data.count, 70)
        XCTAssertEqual(try resumed.run(), .finished)
        let a = try Checkpoint.resolve(straight.run.url), b = try Checkpoint.resolve(split.run.url)
        XCTAssertEqual(b.lastPathComponent, Checkpoint.name(step: 8))
        for name in [Checkpoint.modelFile, Checkpoint.optimizerFile] {
            XCTAssertTrue(try contents(of: a.appendingPathComponent(name)) == contents(of: b.appendingPathComponent(name)),
                          "\(name) differs after resuming")
        }
        XCTAssertEqual(try contents(of: straight.run.metricsJSONL), try contents(of: split.run.metricsJSONL))
    }

    func testAnUnconditionalGANDrawsFromEveryLabelAndAnAudioRunFromItsClassFolders() throws {
        let gan = try start(try Fixtures.tinyRecipe, "gan", ["data.per_class=1", "train.steps=1"])
        XCTAssertEqual(try ClassSubset.read(from: gan.run.url)?.indices, Self.recordedChoices[1].indices)
        XCTAssertEqual(try gan.run(), .finished)

        let tones = scratch.appendingPathComponent("tones")
        try AudioTrainingTests.makeToneFolder(at: tones)
        let audio = try TrainingJob.start(recipe: try Fixtures.directory.appendingPathComponent("tiny-wavegan.toml"),
                                          overrides: ["data.path=\(tones.path)", "data.per_class=2", "train.steps=1"],
                                          outputs: scratch, runDirectory: scratch.appendingPathComponent("audio"))
        XCTAssertEqual(audio.data.count, 4)
        XCTAssertEqual(audio.data.labels, [0, 0, 1, 1])
        XCTAssertEqual(try audio.run(), .finished)
    }

    func testBadSubsetsAreClearErrors() throws {
        let recipe = try ClassifierTrainingTests.tinyRecipe
        func assertRefused(_ body: @autoclosure () throws -> Any, mentions phrases: [String], file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try body(), file: file, line: line) { error in
                for phrase in phrases {
                    XCTAssertTrue("\(error)".contains(phrase), "\(error) should mention \(phrase)", file: file, line: line)
                }
            }
        }
        let data = try Fixtures.mnistSmall.path
        assertRefused(try start(recipe, "big", ["data.per_class=40"]),
                      mentions: ["data.per_class = 40 in \(recipe.path) asks for 40 examples of class", "but the training split of \(data) has"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("big").path), "refused before the run directory")
        assertRefused(try start(recipe, "zero", ["data.per_class=0"]), mentions: ["data.per_class must be at least 1, got 0"])
        assertRefused(try start(recipe, "batch", ["data.per_class=2"]),
                      mentions: ["data.per_class = 2 leaves 20 examples, fewer than one batch of train.batch = 32"])
        assertRefused(try start(recipe, "typo", ["data.perclass=2"]), mentions: ["perclass"])

        // A flat audio folder: clips without labels.
        let flat = scratch.appendingPathComponent("flat")
        try FileManager.default.createDirectory(at: flat, withIntermediateDirectories: true)
        for k in 0..<4 {
            try AudioFile(samples: (0..<256).map { Float(sin(Double($0 * (k + 1)) / 10)) / 2 }, sampleRate: 4000)
                .writeWAV(to: flat.appendingPathComponent("clip-\(k).wav"), durable: false)
        }
        let wavegan = try Fixtures.directory.appendingPathComponent("tiny-wavegan.toml")
        assertRefused(try TrainingJob.start(recipe: wavegan, overrides: ["data.path=\(flat.path)", "data.per_class=1"],
                                            outputs: scratch, runDirectory: scratch.appendingPathComponent("flat-run")),
                      mentions: ["data.per_class = 1 in \(wavegan.path)", "examples in \(flat.path) have no labels",
                                 "one subfolder per class"])

        // Resuming checks the subset against subset.json.
        let run = try start(recipe, "run", ["data.per_class=4", "train.epochs=1", "train.batch=8"])
        _ = try run.run(maxSteps: 2)
        let file = run.run.url.appendingPathComponent(ClassSubset.fileName)
        var edited = try XCTUnwrap(try ClassSubset.read(from: run.run.url))
        edited.indices.swapAt(0, 1)
        try edited.write(into: run.run.url)
        assertRefused(try TrainingJob.resume(run.run.url), mentions: ["draws other examples of \(data) than the run started on", file.path])
        try FileManager.default.removeItem(at: file)
        assertRefused(try TrainingJob.resume(run.run.url), mentions: ["has data.per_class = 4, but the run has no subset.json"])
    }
}
