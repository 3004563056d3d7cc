import Foundation
import StudioCore
import StudioIO
import XCTest
@testable import StudioTraining

/// The few-labels setting (`eval few-shot --unlabelled`): pseudo-labels from a classifier trained on
/// the K labelled images, a generator trained on those plus the confident rest, never reading the
/// unlabelled images' own labels.
final class PseudoLabelTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws { scratch = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private var classifierRecipe: URL { get throws { try Fixtures.directory.appendingPathComponent("tiny-classifier.toml") } }

    /// A copy of the fixture data whose training labels outside `keep` are replaced by other classes.
    private func scrambledCopy(keeping keep: Set<Int>) throws -> URL {
        let copy = scratch.appendingPathComponent("scrambled")
        try FileManager.default.copyItem(at: try Fixtures.mnistSmall, to: copy)
        let labelsURL = copy.appendingPathComponent("train-labels-idx1-ubyte.gz")
        let labels = try IDXFile.read(from: labelsURL)
        let scrambled = labels.values.enumerated().map { keep.contains($0.offset) ? $0.element : Float((Int($0.element) + 3) % 10) }
        try FileManager.default.removeItem(at: labelsURL)
        try IDXFile(elementType: .uint8, shape: labels.shape, values: scrambled).write(to: copy.appendingPathComponent("train-labels-idx1-ubyte"))
        return copy
    }

    func testTheUnlabelledImagesLabelsAreNeverRead() throws {
        let train = try ImageDataset.mnistFormat(directory: try Fixtures.mnistSmall, split: .train)
        let labelled = try AugmentationEvaluation.select(perClass: 3, from: train, classes: 10, seed: 2, place: "").1
        func make(_ data: URL, _ name: String) throws -> (PseudoLabels, Data, Data) {
            let directory = scratch.appendingPathComponent(name)
            let figures = try XCTUnwrap(try PseudoLabels.make(classifierRecipe: try classifierRecipe, data: data, labelledIndices: labelled,
                                                             steps: 20, seed: 2, threshold: 0.2, into: directory))
            let out = directory.appendingPathComponent("data")
            return (figures, try Data(contentsOf: out.appendingPathComponent("train-images-idx3-ubyte")),
                    try Data(contentsOf: out.appendingPathComponent("train-labels-idx1-ubyte")))
        }
        let (figures, images, labels) = try make(try Fixtures.mnistSmall, "plain")
        let (scrambledFigures, scrambledImages, scrambledLabels) = try make(try scrambledCopy(keeping: Set(labelled)), "scrambled")
        XCTAssertEqual(images, scrambledImages)
        XCTAssertEqual(labels, scrambledLabels, "the generator's data must not depend on the unlabelled images' labels")
        XCTAssertEqual(figures.labelled, 30)
        XCTAssertEqual(figures.unlabelled, train.count - 30)
        XCTAssertEqual(figures.kept, figures.keptPerClass.reduce(0, +))
        XCTAssertNotEqual(figures.keptAccuracy, scrambledFigures.keptAccuracy, "only the report's check reads them")

        let written = try ImageDataset.mnistFormat(directory: scratch.appendingPathComponent("plain/data"), split: .train)
        XCTAssertEqual(written.count, 30 + figures.kept)
        XCTAssertEqual(Array(written.labels.prefix(30)), labelled.map { train.labels[$0] }, "the labelled images keep their labels, first")
        XCTAssertEqual(try ImageDataset.mnistFormat(directory: scratch.appendingPathComponent("plain/data"), split: .test).count, 64)
        // Done once: a second call reads the figures back.
        XCTAssertEqual(try PseudoLabels.make(classifierRecipe: try classifierRecipe, data: try Fixtures.mnistSmall, labelledIndices: labelled,
                                             steps: 20, seed: 2, threshold: 0.2, into: scratch.appendingPathComponent("plain")), figures)
    }

    /// The few-labels protocol on the tiny conditional GAN and the fixture data, for one seed.
    private func fewLabelsSettings(seed: UInt64, perClass: Int, generatorSteps: Int, classifierSteps: Int,
                                   threshold: Double) throws -> FewShotEvaluation.Settings {
        var settings = FewShotEvaluation.Settings(generatorRecipe: try Fixtures.directory.appendingPathComponent("tiny-cgan.toml"),
                                                  realPerClass: 3, perClass: perClass, classifierRecipe: try classifierRecipe)
        settings.seeds = [seed]
        settings.generatorSteps = generatorSteps
        settings.classifierSteps = classifierSteps
        settings.data = try Fixtures.mnistSmall
        settings.unlabelled = true
        settings.pseudoLabelThreshold = threshold
        return settings
    }

    /// Runs the protocol into `directory` and returns its report with the "name/total" of each stage begun.
    private func run(_ settings: FewShotEvaluation.Settings, into directory: URL) throws -> (FewShotReport, [String]) {
        var stages: [String] = []
        let report = try XCTUnwrap(try FewShotEvaluation(settings: settings, directory: directory).run(observe: { event in
            if case let .stage(_, total, name, _) = event { stages.append("\(name)/\(total)") }
        }))
        return (report, stages)
    }

    func testTheFewLabelsProtocolTrainsTheGeneratorOnPseudoLabels() throws {
        let settings = try fewLabelsSettings(seed: 1, perClass: 2, generatorSteps: 2, classifierSteps: 3, threshold: 0)
        let directory = scratch.appendingPathComponent("labels")
        let (report, stages) = try run(settings, into: directory)
        XCTAssertEqual(stages, ["pseudo-labels/4", "generator/4", "synthetic/4", "classifiers/4"])
        XCTAssertTrue(report.unlabelled)
        let pseudo = try XCTUnwrap(report.seeds[0].pseudoLabels)
        XCTAssertEqual(pseudo.kept, pseudo.unlabelled, "threshold 0 keeps every pseudo-label")
        let recipe = try String(contentsOf: directory.appendingPathComponent("seed-1/generator/recipe.toml"), encoding: .utf8)
        XCTAssertTrue(recipe.contains("seed-1/pseudo-labels/data"), recipe)
        XCTAssertFalse(recipe.contains("per_class"), "the generator sees every pseudo-labelled image")
        let runs = report.seeds[0].runs
        XCTAssertEqual(runs.map(\.name), ["real", "real+classical", "real+synthetic", "real+synthetic+classical", "synthetic",
                                          "real+pseudo+classical", "real+pseudo+synthetic+classical"])
        XCTAssertEqual(runs[5].pseudoLabelledImages, pseudo.kept)
        XCTAssertEqual(runs[6].pseudoLabelledImages, pseudo.kept)
        XCTAssertEqual(runs[6].syntheticImages, 20)
        XCTAssertNil(runs[0].pseudoLabelledImages)
        XCTAssertNil(report.seeds[0].pseudoLabelRounds, "one round lists no rounds")
    }

    /// A later round's labeller learns from the previous round's set: one whose labels are all 3
    /// makes a labeller that calls every unlabelled image a 3.
    func testALaterRoundLearnsFromThePreviousRoundsSet() throws {
        let train = try ImageDataset.mnistFormat(directory: try Fixtures.mnistSmall, split: .train)
        let test = try ImageDataset.mnistFormat(directory: try Fixtures.mnistSmall, split: .test)
        let labelled = try AugmentationEvaluation.select(perClass: 3, from: train, classes: 10, seed: 2, place: "").1
        let previous = scratch.appendingPathComponent("round-1/data")
        try PseudoLabels.write(pixels: train.pixels, labels: Array(repeating: 3, count: train.count), imageShape: train.imageShape,
                               to: previous, test: test)
        let figures = try XCTUnwrap(try PseudoLabels.make(classifierRecipe: try classifierRecipe, data: try Fixtures.mnistSmall,
                                                         labelledIndices: labelled, steps: 30, seed: 2, threshold: 0,
                                                         previous: previous, round: 2,
                                                         into: scratch.appendingPathComponent("round-2")))
        XCTAssertEqual(figures.round, 2)
        XCTAssertEqual(figures.kept, train.count - 30)
        XCTAssertEqual(figures.keptPerClass[3], figures.kept, "\(figures.keptPerClass)")
    }

    func testRoundsChainAndAGeneratorFromOtherRoundsIsRefused() throws {
        var settings = try fewLabelsSettings(seed: 4, perClass: 1, generatorSteps: 1, classifierSteps: 2, threshold: 0.1)
        settings.pseudoLabelRounds = 2
        let directory = scratch.appendingPathComponent("rounds")
        let (report, stages) = try run(settings, into: directory)
        XCTAssertEqual(stages, ["pseudo-labels round 1/5", "pseudo-labels round 2/5", "generator/5", "synthetic/5", "classifiers/5"])
        XCTAssertEqual(report.pseudoLabelRounds, 2)
        let rounds = try XCTUnwrap(report.seeds[0].pseudoLabelRounds)
        XCTAssertEqual(rounds.map(\.round), [1, 2])
        XCTAssertEqual(report.seeds[0].pseudoLabels, rounds[1])
        let recipe = try String(contentsOf: directory.appendingPathComponent("seed-4/generator/recipe.toml"), encoding: .utf8)
        XCTAssertTrue(recipe.contains("seed-4/pseudo-labels-2/data"), recipe)

        settings.pseudoLabelRounds = 1
        XCTAssertThrowsError(try FewShotEvaluation(settings: settings, directory: directory).run()) { error in
            XCTAssertTrue("\(error)".contains("--pseudo-label-rounds"), "\(error)")
        }
        settings.pseudoLabelRounds = 0
        XCTAssertThrowsError(try FewShotEvaluation(settings: settings, directory: directory))
    }
}
