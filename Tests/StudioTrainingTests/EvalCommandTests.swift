import Foundation
import XCTest
import StudioCore
import StudioIO
@testable import StudioTraining

/// `genstudio eval SAMPLES --classifier` and `genstudio augment --filter` through the executable.
final class EvalCommandTests: XCTestCase {
    private static var runs: SharedRuns!
    private static var classifier: URL { runs.root.appendingPathComponent("classifier") }
    private var directory: URL!

    override class func setUp() {
        super.setUp()
        runs = SharedRuns { root in
            let recipe = try Fixtures.directory.appendingPathComponent("tiny-classifier.toml")
            let session = try TrainingJob.start(recipe: recipe, overrides: [try Fixtures.dataOverride, "train.epochs=1"],
                                                outputs: root, runDirectory: root.appendingPathComponent("classifier"))
            _ = try session.run()
        }
    }

    override class func tearDown() {
        runs?.remove()
        super.tearDown()
    }

    override func setUpWithError() throws {
        try Self.runs.check()
        directory = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    private func run(_ arguments: [String]) throws -> ProcessResult {
        try GenStudioExecutable.run(arguments, logs: directory)
    }

    func testEvaluatesAnAugmentOutputACheckpointAndAnIDXFile() throws {
        let model = directory.appendingPathComponent("model.safetensors")
        try AugmentationTests.writeCheckpoint(classes: 10, to: model, size: 28)
        let synthetic = directory.appendingPathComponent("synthetic")
        assertSuccess(try run(["augment", model.path, "--per-class", "3", "--classes", "3,4", "--steps", "2",
                               "--out", synthetic.path]))
        let reference = try Fixtures.mnistSmall.path
        // Folders that do not exist yet are made, rather than failing after the evaluation's work.
        let report = directory.appendingPathComponent("reports/report.json"), pairs = directory.appendingPathComponent("grids/pairs.png")
        // --count takes a seeded random subset of a larger set, so that a 60000-sample job scores as fid10k.
        let folder = try run(["eval", synthetic.path, "--count", "4", "--classifier", Self.classifier.path, "--data", reference,
                              "--out", report.path, "--pairs", pairs.path])
        assertSuccess(folder)
        for phrase in ["scoring a random 4 of the 6 images", "4 samples", "fid4-classifier", "real-versus-real floor", "inception-score analogue",
                       "precision", "recall", "accuracy on the samples' labels", "nearest training image"] {
            XCTAssertTrue(folder.stdout.contains(phrase), "'\(phrase)' in \(folder.stdout)")
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any]
        XCTAssertEqual(json?["fid_name"] as? String, "fid4-classifier")
        XCTAssertEqual((json?["class_histogram"] as? [Int])?.reduce(0, +), 4)
        XCTAssertEqual(try PNGImage.read(from: pairs).height, 2 * 28 + 3 * 2, "samples above their nearest training images")

        let idx = try run(["eval", synthetic.appendingPathComponent("train-images-idx3-ubyte").path,
                           "--classifier", Self.classifier.path, "--reference", reference])
        assertSuccess(idx)
        XCTAssertTrue(idx.stdout.contains("accuracy on the samples' labels"), "labels come from the sibling file: \(idx.stdout)")
        XCTAssertTrue(idx.stdout.contains("6 samples"), "all of them when --count is larger: \(idx.stdout)")

        let drawn = try run(["eval", model.path, "--count", "6", "--steps", "2", "--classifier", Self.classifier.path,
                             "--reference", reference])
        assertSuccess(drawn)
        XCTAssertTrue(drawn.stdout.contains("fid6-classifier"), drawn.stdout)
    }

    func testTheFilterUsesTheClassifierAndBadRequestsAreRefused() throws {
        let model = directory.appendingPathComponent("model.safetensors")
        try AugmentationTests.writeCheckpoint(classes: 10, to: model, size: 28)
        let out = directory.appendingPathComponent("filtered")
        let filtered = try run(["augment", model.path, "--per-class", "2", "--classes", "1", "--steps", "2", "--block-size", "4",
                                "--filter", Self.classifier.path, "--min-confidence", "0.02", "--max-tries", "50",
                                "--out", out.path])
        assertSuccess(filtered)
        let manifest = try XCTUnwrap(try AugmentationManifest.read(in: out))
        XCTAssertEqual(manifest.counts, ["1": 2])
        XCTAssertEqual(manifest.job.classifierSHA256, try AugmentationManifest.sha256(of: Checkpoint.resolve(Self.classifier)
            .appendingPathComponent(Checkpoint.modelFile)))

        let small = directory.appendingPathComponent("small.safetensors")
        try AugmentationTests.writeCheckpoint(classes: 3, to: small)
        assertCleanFailure(try run(["augment", small.path, "--per-class", "1", "--filter", Self.classifier.path,
                                    "--min-confidence", "0.5", "--out", directory.appendingPathComponent("x").path]),
                           mentions: ["[1, 28, 28]", "[1, 8, 8]"])
        assertCleanFailure(try run(["augment", model.path, "--per-class", "1", "--min-confidence", "0.5",
                                    "--out", directory.appendingPathComponent("y").path]),
                           mentions: ["--min-confidence needs --filter"])
        assertCleanFailure(try run(["eval", small.path, "--count", "4", "--steps", "2", "--classifier", Self.classifier.path,
                                    "--reference", try Fixtures.mnistSmall.path]),
                           mentions: ["[1, 8, 8]", "[1, 28, 28]"])
    }

    func testASubsetKeepsEachSampleWithItsLabel() {
        let samples = Tensor(shape: [5, 1, 2], scalars: (0..<10).map(Float.init))
        let chosen = SampleSet.subset(samples, labels: [0, 1, 2, 3, 4], count: 3, seed: 9)
        XCTAssertEqual(chosen.samples.shape, [3, 1, 2])
        let labels = try? XCTUnwrap(chosen.labels)
        XCTAssertEqual(labels?.count, 3)
        XCTAssertEqual(labels, labels?.sorted(), "file order is kept")
        for (row, label) in (labels ?? []).enumerated() {
            XCTAssertEqual(Array(chosen.samples.scalars[row * 2..<row * 2 + 2]), [Float(2 * label), Float(2 * label + 1)])
        }
        XCTAssertEqual(SampleSet.subset(samples, labels: nil, count: 3, seed: 9).samples.scalars, chosen.samples.scalars, "same seed, same subset")
        XCTAssertEqual(SampleSet.subset(samples, labels: nil, count: 5, seed: 9).samples.scalars, samples.scalars)
    }
}
