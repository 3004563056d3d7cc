import Foundation
import StudioCore
import StudioIO
import XCTest
@testable import StudioTraining

/// `genstudio eval few-shot`: every stage per seed, the summary over seeds, memorisation figures, and
/// resuming instead of redoing finished stages.
final class FewShotEvaluationTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws { scratch = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private func settings() throws -> FewShotEvaluation.Settings {
        var settings = FewShotEvaluation.Settings(generatorRecipe: try Fixtures.directory.appendingPathComponent("tiny-cgan.toml"),
                                                  realPerClass: 3, perClass: 2,
                                                  classifierRecipe: try Fixtures.directory.appendingPathComponent("tiny-classifier.toml"))
        settings.seeds = [0, 1]
        settings.generatorSteps = 2
        settings.classifierSteps = 2
        settings.data = try Fixtures.mnistSmall
        return settings
    }

    func testEveryStageRunsPerSeedAndASecondRunResumes() throws {
        let directory = scratch.appendingPathComponent("few")
        let protocolRun = try FewShotEvaluation(settings: try settings(), directory: directory)
        var stagesStarted = 0
        // Stop at the first synthetic stage: the generator of seed 0 is kept.
        let stopped = try protocolRun.run(shouldStop: { stagesStarted >= 2 }) { event in
            if case .stage = event { stagesStarted += 1 }
        }
        XCTAssertNil(stopped)
        let subset = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("seed-0/generator/subset.json"))) as? [String: Any]
        XCTAssertEqual(subset?["per_class"] as? Int, 3)

        var skipped: [String] = []
        let report = try XCTUnwrap(try protocolRun.run(observe: { event in
            if case let .skipped(name, seed) = event { skipped.append("\(name) \(seed)") }
        }))
        XCTAssertEqual(skipped, ["generator 0"], "the finished generator is kept, the rest runs")
        XCTAssertEqual(report.summary.map(\.name), ["real", "real+classical", "real+synthetic", "real+synthetic+classical", "synthetic"])
        XCTAssertTrue(report.summary.allSatisfy { $0.accuracies.count == 2 })
        let realRows = report.seeds.map { try! XCTUnwrap($0.runs.first { $0.name == "real+synthetic" }) }
        XCTAssertEqual(realRows.map(\.syntheticImages), [20, 20])
        XCTAssertEqual(realRows.map(\.realImages), [30, 30])
        for seed in report.seeds {
            XCTAssertGreaterThan(seed.memorisation.testMedian, 0)
            XCTAssertGreaterThanOrEqual(seed.memorisation.syntheticMedian, seed.memorisation.syntheticLeast)
        }
        let row = report.summary[0]
        let mean = row.accuracies.reduce(0, +) / 2
        XCTAssertEqual(row.meanAccuracy, mean, accuracy: 1e-12)
        XCTAssertEqual(row.standardDeviation, abs(row.accuracies[0] - row.accuracies[1]) / 2.0.squareRoot(), accuracy: 1e-12)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent(FewShotReport.fileName).path))

        // Everything is on disk now: a third run redoes nothing and reports the same.
        skipped = []
        let again = try XCTUnwrap(try protocolRun.run(observe: { event in
            if case let .skipped(name, seed) = event { skipped.append("\(name) \(seed)") }
        }))
        XCTAssertEqual(skipped, ["generator 0", "classifiers 0", "generator 1", "classifiers 1"])
        XCTAssertEqual(again.summary.map(\.accuracies), report.summary.map(\.accuracies))
    }

    func testTheGeneratorSeesOnlyTheSeedsImagesOfEvalAugmentation() throws {
        let directory = scratch.appendingPathComponent("one")
        var one = try settings()
        one.seeds = [4]
        _ = try XCTUnwrap(try FewShotEvaluation(settings: one, directory: directory).run())
        let subset = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("seed-4/generator/subset.json"))) as? [String: Any]
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("seed-4/classifiers/report.json"))) as? [String: Any]
        XCTAssertEqual(subset?["indices"] as? [Int], report?["real_indices"] as? [Int])
    }

    func testBadSettingsAreClearErrors() throws {
        var bad = try settings()
        bad.seeds = [1, 1]
        XCTAssertThrowsError(try FewShotEvaluation(settings: bad, directory: scratch)) { XCTAssertTrue("\($0)".contains("--seeds")) }
        bad = try settings()
        bad.perClass = 0
        XCTAssertThrowsError(try FewShotEvaluation(settings: bad, directory: scratch)) { XCTAssertTrue("\($0)".contains("--per-class")) }
    }
}
