import Foundation
import StudioCore
import StudioIO
import XCTest
@testable import StudioTraining

/// `genstudio eval augmentation` on the fixture: the fixture's 64 test digits stand in for a synthetic
/// set (as IDX files and as class folders), K real images per class come from its 320 training digits.
final class AugmentationEvaluationTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    private var recipe: URL { get throws { try ClassifierTrainingTests.tinyRecipe } }

    /// `set` written as `genstudio augment --format idx` writes it.
    private func writeIDX(_ set: ImageDataset, name: String) throws -> URL {
        let directory = scratch.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let dims = set.shape.dimensions
        try IDXFile(elementType: .uint8, shape: [dims[0], dims[2], dims[3]], values: set.pixels.map(Float.init)).encoded()
            .write(to: directory.appendingPathComponent("train-images-idx3-ubyte"))
        try IDXFile(elementType: .uint8, shape: [set.count], values: set.labels.map(Float.init)).encoded()
            .write(to: directory.appendingPathComponent("train-labels-idx1-ubyte"))
        return directory
    }

    /// `set` written as `genstudio augment --format png` writes it: `<class>/<index>.png` beside a manifest.
    private func writeClassFolders(_ set: ImageDataset, name: String) throws -> URL {
        let directory = scratch.appendingPathComponent(name)
        let size = set.imageShape.elementCount
        for i in 0..<set.count {
            let url = directory.appendingPathComponent("\(set.labels[i])/" + String(format: "%06d.png", i))
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try PNGImage(width: set.shape[3], height: set.shape[2], channels: 1,
                         pixels: Array(set.pixels[(i * size)..<((i + 1) * size)])).write(to: url)
        }
        try Data("{}".utf8).write(to: directory.appendingPathComponent("manifest.json"))
        return directory
    }

    private var fixtureTest: ImageDataset { get throws { try ImageDataset.mnistFormat(directory: try Fixtures.mnistSmall, split: .test) } }

    func testThreeRunsOnRealPlusSyntheticAndSyntheticWithOneSeedAndStepCount() throws {
        let synthetic = try writeIDX(try fixtureTest, name: "synthetic")
        let evaluation = try AugmentationEvaluation(classifierRecipe: try recipe, data: try Fixtures.mnistSmall, synthetic: synthetic,
                                                    realPerClass: 2, seed: 11, steps: 3)
        let out = scratch.appendingPathComponent("eval")
        let report = try XCTUnwrap(try evaluation.run(into: out))
        XCTAssertEqual(report.runs.map(\.name), ["real", "real+synthetic", "synthetic"])
        XCTAssertEqual(report.runs.map(\.realImages), [20, 20, 0])
        XCTAssertEqual(report.runs.map(\.syntheticImages), [0, 64, 64])
        XCTAssertEqual(report.runs.map(\.batch), [20, 32, 32], "a set smaller than the recipe's batch trains in one batch")
        XCTAssertEqual(report.runs.map(\.steps), [3, 3, 3])
        XCTAssertEqual(report.syntheticCount, 64)
        XCTAssertEqual(report.syntheticPerClass.reduce(0, +), 64)
        XCTAssertEqual(report.testCount, 64)
        // Two distinct training images of each class, class by class.
        let train = try ImageDataset.mnistFormat(directory: try Fixtures.mnistSmall, split: .train)
        XCTAssertEqual(report.realIndices.map { train.labels[$0] }, (0..<10).flatMap { [$0, $0] })
        XCTAssertEqual(Set(report.realIndices).count, 20)
        let decoded = try JSONDecoder().decode(AugmentationEvaluation.Report.self,
                                               from: try contents(of: out.appendingPathComponent(AugmentationEvaluation.reportFile)))
        XCTAssertEqual(decoded, report)
        for run in report.runs {
            // Each accuracy is that of the run's final checkpoint on the whole test split.
            let loaded = try LoadedClassifier.load(checkpoint: URL(fileURLWithPath: run.directory))
            XCTAssertEqual(loaded.step, 3)
            let test = try fixtureTest
            let predicted = loaded.logits(test.batch(Array(0..<test.count), range: 0...1)).argmax(alongAxis: 1)
            let accuracy = Double(zip(predicted, test.labels).filter { $0 == $1 }.count) / Double(test.count)
            XCTAssertEqual(run.testAccuracy, accuracy, accuracy: 1e-9, run.name)
            let resolved = try RecipeLoader.load(RunDirectory(url: URL(fileURLWithPath: run.directory)).recipe).recipe
            XCTAssertEqual([resolved.train.steps, resolved.train.batch], [3, run.batch], run.name)
            XCTAssertNil(resolved.train.epochs)
            XCTAssertEqual(resolved.train.seed, 11)
        }
        XCTAssertThrowsError(try evaluation.run(into: out)) { error in
            XCTAssertTrue("\(error)".contains("already holds an augmentation report"), "\(error)")
        }
    }

    func testClassicalAddsTheAugmentedRunsWithTheSameStepsAndLeavesTheOthersAsTheyWere() throws {
        let synthetic = try writeIDX(try fixtureTest, name: "synthetic")
        func evaluate(classical: Bool, into name: String) throws -> AugmentationEvaluation.Report {
            let evaluation = try AugmentationEvaluation(classifierRecipe: try recipe, data: try Fixtures.mnistSmall, synthetic: synthetic,
                                                        realPerClass: 2, seed: 11, steps: 2, classical: classical)
            return try XCTUnwrap(try evaluation.run(into: scratch.appendingPathComponent(name)))
        }
        let report = try evaluate(classical: true, into: "classical")
        XCTAssertEqual(report.runs.map(\.name), ["real", "real+classical", "real+synthetic", "real+synthetic+classical", "synthetic"])
        XCTAssertEqual(report.runs.map(\.realImages), [20, 20, 20, 20, 0])
        XCTAssertEqual(report.runs.map(\.syntheticImages), [0, 0, 64, 64, 64])
        XCTAssertEqual(report.runs.map(\.batch), [20, 20, 32, 32, 32])
        XCTAssertEqual(report.runs.map(\.steps), [2, 2, 2, 2, 2])
        XCTAssertEqual(report.classical, .classical, "the tiny recipe has no [augment]: every transform at the default ranges")
        for run in report.runs {
            let resolved = try RecipeLoader.load(RunDirectory(url: URL(fileURLWithPath: run.directory)).recipe).recipe
            XCTAssertEqual(resolved.augment, run.name.hasSuffix("+classical") ? .classical : nil, run.name)
        }
        let plain = try evaluate(classical: false, into: "plain")
        XCTAssertNil(plain.classical)
        let text = String(decoding: try contents(of: scratch.appendingPathComponent("plain/\(AugmentationEvaluation.reportFile)")), as: UTF8.self)
        XCTAssertFalse(text.contains("classical"), "without --classical the report is as it always was")
        // The runs without augmentation are the same trainings either way; the augmented ones differ.
        func weights(_ report: AugmentationEvaluation.Report, _ name: String) throws -> Data {
            let run = try XCTUnwrap(report.runs.first { $0.name == name })
            return try contents(of: try Checkpoint.resolve(URL(fileURLWithPath: run.directory)).appendingPathComponent(Checkpoint.modelFile))
        }
        for name in ["real", "real+synthetic", "synthetic"] {
            XCTAssertTrue(try weights(report, name) == weights(plain, name), name)
        }
        XCTAssertFalse(try weights(report, "real+classical") == weights(report, "real"))
        XCTAssertFalse(try weights(report, "real+synthetic+classical") == weights(report, "real+synthetic"))
    }

    func testSeedChoosesTheRealImagesAndTheDefaultLengthIsTheRecipesOnTheFullSet() throws {
        let synthetic = try writeIDX(try fixtureTest, name: "synthetic")
        func evaluation(seed: UInt64) throws -> AugmentationEvaluation {
            try AugmentationEvaluation(classifierRecipe: try recipe, data: try Fixtures.mnistSmall, synthetic: synthetic,
                                       realPerClass: 3, seed: seed)
        }
        let a = try evaluation(seed: 1), b = try evaluation(seed: 1), c = try evaluation(seed: 2)
        XCTAssertEqual(a.realIndices, b.realIndices)
        XCTAssertNotEqual(a.realIndices, c.realIndices)
        XCTAssertEqual(a.real.count, 30)
        XCTAssertEqual(a.steps, 4 * (320 / 32), "the tiny recipe's 4 epochs over the 320 real training images")
    }

    func testClassFoldersReadTheSameSetAsIDX() throws {
        let test = try fixtureTest
        let fromIDX = try AugmentationEvaluation(classifierRecipe: try recipe, data: try Fixtures.mnistSmall,
                                                 synthetic: try writeIDX(test, name: "idx"), realPerClass: 1, seed: 0).synthetic
        let fromPNG = try AugmentationEvaluation(classifierRecipe: try recipe, data: try Fixtures.mnistSmall,
                                                 synthetic: try writeClassFolders(test, name: "png"), realPerClass: 1, seed: 0).synthetic
        // Class folders come class by class; within a class the file names keep the IDX order.
        let order = (0..<test.count).sorted { (test.labels[$0], $0) < (test.labels[$1], $1) }
        XCTAssertEqual(fromPNG.labels, order.map { fromIDX.labels[$0] })
        XCTAssertEqual(fromPNG.pixels, AugmentationEvaluation.subset(fromIDX, order).pixels)
    }

    func testBadInputIsAClearError() throws {
        func assertRefused(synthetic: URL, realPerClass: Int = 2, recipe: URL? = nil, mentions phrases: [String],
                           file: StaticString = #filePath, line: UInt = #line) throws {
            XCTAssertThrowsError(try AugmentationEvaluation(classifierRecipe: try recipe ?? self.recipe, data: try Fixtures.mnistSmall,
                                                            synthetic: synthetic, realPerClass: realPerClass, seed: 0),
                                 file: file, line: line) { error in
                for phrase in phrases {
                    XCTAssertTrue("\(error)".contains(phrase), "\(error) should mention \(phrase)", file: file, line: line)
                }
            }
        }
        let good = try writeIDX(try fixtureTest, name: "good")
        let missing = scratch.appendingPathComponent("missing")
        try assertRefused(synthetic: missing, mentions: [missing.path, "no such synthetic data directory"])
        let empty = scratch.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try assertRefused(synthetic: empty, mentions: [empty.path, "holds no class folders", "train-images-idx3-ubyte"])
        let none = try writeIDX(ImageDataset(shape: [0, 1, 28, 28], pixels: [], labels: []), name: "none")
        try assertRefused(synthetic: none, mentions: [none.path, "the synthetic set is empty"])
        try assertRefused(synthetic: good, realPerClass: 40, mentions: ["--real-per-class 40", "than the", "in the training split of"])
        try assertRefused(synthetic: good, realPerClass: 0, mentions: ["--real-per-class must be positive"])
        // Synthetic images of another size than the classifier's.
        let small = ImageDataset(shape: [2, 1, 14, 14], pixels: [UInt8](repeating: 9, count: 2 * 196), labels: [0, 1])
        let smallDirectory = try writeIDX(small, name: "small")
        try assertRefused(synthetic: smallDirectory, mentions: ["synthetic examples in \(smallDirectory.path) are [1, 14, 14]", "model.image_shape"])
        let badLabels = try writeIDX(ImageDataset(shape: [1, 1, 28, 28], pixels: [UInt8](repeating: 0, count: 784), labels: [12]), name: "labels")
        try assertRefused(synthetic: badLabels, mentions: ["synthetic labels in 0..<10", "found 12...12"])
        // A classifier recipe whose image size differs from the data's.
        let text = try String(contentsOf: try recipe, encoding: .utf8)
            .replacingOccurrences(of: "[1, 28, 28]", with: "[1, 32, 32]").replacingOccurrences(of: "in = 784", with: "in = 1024")
        let big = scratch.appendingPathComponent("big.toml")
        try Data(text.utf8).write(to: big)
        try assertRefused(synthetic: good, recipe: big, mentions: ["training examples in", "are [1, 28, 28], but model.image_shape in \(big.path) is [1, 32, 32]"])
        try assertRefused(synthetic: good, recipe: try Fixtures.tinyRecipe, mentions: ["is a gan recipe", "model.family = \"classifier\""])
    }

    func testTheCommandPrintsTheThreeAccuraciesAndWritesTheReport() throws {
        let synthetic = try writeIDX(try fixtureTest, name: "synthetic")
        let out = scratch.appendingPathComponent("eval")
        let result = try GenStudioExecutable.run(["eval", "augmentation", "--real-per-class", "2", "--synthetic", synthetic.path,
                                                  "--classifier-recipe", try recipe.path, "--data", try Fixtures.mnistSmall.path,
                                                  "--seed", "5", "--steps", "2", "--out", out.path], logs: scratch)
        assertSuccess(result)
        for line in ["real", "real+synthetic", "synthetic"] {
            XCTAssertTrue(result.stdout.contains("training on \(line)"), result.stdout)
        }
        XCTAssertTrue(result.stdout.contains("    20 real +      0 synthetic  test accuracy"), result.stdout)
        XCTAssertTrue(result.stdout.contains("    20 real +     64 synthetic  test accuracy"), result.stdout)
        let report = try JSONDecoder().decode(AugmentationEvaluation.Report.self,
                                              from: try contents(of: out.appendingPathComponent(AugmentationEvaluation.reportFile)))
        XCTAssertEqual(report.seed, 5)
        XCTAssertEqual(report.runs.count, 3)

        let classicalOut = scratch.appendingPathComponent("eval-classical")
        let classical = try GenStudioExecutable.run(["eval", "augmentation", "--real-per-class", "2", "--synthetic", synthetic.path,
                                                     "--classifier-recipe", try recipe.path, "--data", try Fixtures.mnistSmall.path,
                                                     "--classifier-steps", "1", "--classical", "--out", classicalOut.path], logs: scratch)
        assertSuccess(classical)
        XCTAssertTrue(classical.stdout.contains("classical augmentation of the +classical runs: translate ±2 px, rotate ±15°, scale 0.9...1.1, elastic alpha 34 sigma 4"), classical.stdout)
        XCTAssertTrue(classical.stdout.contains("training on real+synthetic+classical"), classical.stdout)
        XCTAssertTrue(classical.stdout.contains("real+synthetic+classical     20 real +     64 synthetic  test accuracy"), classical.stdout)
        XCTAssertTrue(classical.stdout.contains("real+classical               20 real +      0 synthetic  test accuracy"), classical.stdout)
        let classicalReport = try JSONDecoder().decode(AugmentationEvaluation.Report.self,
                                                       from: try contents(of: classicalOut.appendingPathComponent(AugmentationEvaluation.reportFile)))
        XCTAssertEqual(classicalReport.runs.count, 5)

        let refused = try GenStudioExecutable.run(["eval", "augmentation", "--real-per-class", "2",
                                                   "--synthetic", scratch.appendingPathComponent("nowhere").path,
                                                   "--classifier-recipe", try recipe.path, "--data", try Fixtures.mnistSmall.path,
                                                   "--out", scratch.appendingPathComponent("refused").path], logs: scratch)
        assertCleanFailure(refused, mentions: ["nowhere: no such synthetic data directory"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("refused").path))
    }
}
