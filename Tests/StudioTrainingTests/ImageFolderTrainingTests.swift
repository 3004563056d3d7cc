import Foundation
import StudioCore
import StudioIO
import XCTest
@testable import StudioTraining

/// Issue 19: class folders of PNG/JPEG images as training data, the advice for a folder without
/// data, and augment output that torchvision's ImageFolder and `genstudio train` read as it is.
final class ImageFolderTrainingTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// A JPEG made by Pillow, kept with its script among StudioIOTests' fixtures.
    private var photoJPEG: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("StudioIOTests/Fixtures/images/photo.jpg")
    }

    private func writePNG(_ relative: String, in root: URL, size: Int, channels: Int, value: UInt8) throws {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try PNGImage(width: size, height: size, channels: channels,
                     pixels: [UInt8](repeating: value, count: size * size * channels)).write(to: url)
    }

    /// `train/` and `test/` of classes "bee" and "ant": gray and RGB PNGs of other sizes, a JPEG and a broken file.
    private func makeImageFolder(at root: URL) throws {
        for (split, count) in [("train", 4), ("test", 2)] {
            for k in 0..<count {
                try writePNG("\(split)/bee/\(k).png", in: root, size: 14, channels: 1, value: 200)
                try writePNG("\(split)/ant/\(k).png", in: root, size: 56, channels: 3, value: 40)
            }
        }
        try FileManager.default.copyItem(at: photoJPEG, to: root.appendingPathComponent("train/ant/photo.jpg"))
        try Data("not an image".utf8).write(to: root.appendingPathComponent("train/bee/broken.jpg"))
    }

    func testAClassifierTrainsOnClassFoldersAndTheRunLogsTheBrokenFile() throws {
        let data = scratch.appendingPathComponent("images")
        try makeImageFolder(at: data)
        let recipe = try Fixtures.directory.appendingPathComponent("tiny-classifier.toml")
        let (parsed, _) = try RecipeLoader.load(recipe, overrides: ["data.path=\(data.path)", "train.batch=4", "train.epochs=1"])
        let train = try TrainingJob.loadSplit(parsed, split: .train, recipePath: recipe.path)
        XCTAssertEqual(train.examples.exampleShape, [1, 28, 28], "resized to model.image_shape")
        XCTAssertEqual(train.examples.labels, [0, 0, 0, 0, 0, 1, 1, 1, 1], "ant = 0, bee = 1, as ImageFolder's class_to_idx")
        XCTAssertEqual(train.skippedKind, "image")
        XCTAssertEqual(train.skipped.map { ($0.path as NSString).lastPathComponent }, ["broken.jpg"])
        let pixels = train.examples.batch([0, 5], range: 0...1).scalars
        XCTAssertEqual(pixels[0], Float(40) / 255, accuracy: 1e-6, "RGB (40, 40, 40) to gray 40")
        XCTAssertEqual(pixels[784 + 400], Float(200) / 255, accuracy: 1e-6, "a 14x14 gray image grown to 28x28")
        let test = try TrainingJob.loadSplit(parsed, split: .test, recipePath: recipe.path)
        XCTAssertEqual(test.examples.labels, [0, 0, 1, 1])

        let session = try TrainingJob.start(recipe: recipe, overrides: ["data.path=\(data.path)", "train.batch=4", "train.epochs=1"],
                                            outputs: scratch, runDirectory: scratch.appendingPathComponent("run"))
        XCTAssertEqual(session.skippedFiles, 1)
        XCTAssertEqual(session.skippedKind, "image")
        XCTAssertEqual(session.classNames, ["ant", "bee"])
        _ = try session.run(maxSteps: 2)
        let log = try String(contentsOf: session.run.url.appendingPathComponent("data.log"), encoding: .utf8)
        XCTAssertTrue(log.hasPrefix("1 image files could not be decoded"), log)
        XCTAssertTrue(log.contains("train/bee/broken.jpg: is neither PNG nor JPEG data"), log)
    }

    func testTheTrainCommandNamesTheClassesAndTheLeftOutFiles() throws {
        let data = scratch.appendingPathComponent("images")
        try makeImageFolder(at: data)
        let recipe = try Fixtures.directory.appendingPathComponent("tiny-classifier.toml")
        let run = scratch.appendingPathComponent("cli-run")
        let result = try GenStudioExecutable.run(["train", recipe.path, "--set", "data.path=\(data.path)", "--set", "train.batch=4",
                                                  "--set", "train.epochs=1", "--out", run.path, "--max-steps", "1"], logs: scratch)
        assertSuccess(result)
        XCTAssertTrue(result.output.contains("classes from folder names (as ImageFolder's class_to_idx): 0 ant, 1 bee"), result.output)
        XCTAssertTrue(result.output.contains("left out 1 image files that could not be decoded; listed in \(run.path)/data.log"), result.output)
    }

    func testAFolderWithoutDataGetsAdviceThatNeverWritesIntoIt() throws {
        let recipe = try Fixtures.directory.appendingPathComponent("tiny-gan.toml")
        let own = scratch.appendingPathComponent("holiday")
        try FileManager.default.createDirectory(at: own, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: own.appendingPathComponent("notes.txt"))
        let (parsed, _) = try RecipeLoader.load(recipe, overrides: ["data.path=\(own.path)"])
        XCTAssertThrowsError(try TrainingJob.loadSplit(parsed, split: .train, recipePath: recipe.path)) { error in
            let message = "\(error)"
            XCTAssertFalse(message.contains("--out \(own.path) "), message)
            XCTAssertTrue(message.contains("genstudio data mnist --out \(own.path)-mnist"), message)
            XCTAssertTrue(message.contains("class folders of PNG or JPEG images"), message)
        }
        let missing = scratch.appendingPathComponent("mnist")
        let (fresh, _) = try RecipeLoader.load(recipe, overrides: ["data.path=\(missing.path)"])
        XCTAssertThrowsError(try TrainingJob.loadSplit(fresh, split: .train, recipePath: recipe.path)) { error in
            XCTAssertTrue("\(error)".contains("genstudio data mnist --out \(missing.path) "), "a missing folder may be fetched into: \(error)")
        }
    }

    func testTheMemoryBudgetCountsImageBytesNotFloats() throws {
        let half = Int(ProcessInfo.processInfo.physicalMemory / 2)
        XCTAssertNoThrow(try MemoryBudget.check(count: half, elementsPerExample: 1, bytesPerValue: 1, what: "data.path = x"))
        XCTAssertThrowsError(try MemoryBudget.check(count: half, elementsPerExample: 1, what: "data.path = x")) { error in
            XCTAssertTrue("\(error)".hasPrefix("data.path = x: \(half) examples of 1 values would need"), "\(error)")
        }
    }

    // MARK: - Augment output as an image folder

    /// What torchvision's `ImageFolder` finds: every top-level folder, hidden or not, is a class and
    /// must hold a file with an image extension (else it raises "Found no valid file for the classes").
    private func imageFolderClasses(_ root: URL) throws -> [String: Int] {
        let fm = FileManager.default
        var classes: [String: Int] = [:]
        for name in try fm.contentsOfDirectory(atPath: root.path) {
            var isFolder: ObjCBool = false
            guard fm.fileExists(atPath: root.appendingPathComponent(name).path, isDirectory: &isFolder), isFolder.boolValue else { continue }
            let files = fm.enumerator(atPath: root.appendingPathComponent(name).path)?.allObjects as? [String] ?? []
            let images = files.filter { ["png", "jpg", "jpeg", "wav"].contains(($0 as NSString).pathExtension.lowercased()) }
            XCTAssertFalse(images.isEmpty, "ImageFolder would stop at \(name)/: Found no valid file for the classes \(name)")
            classes[name] = images.count
        }
        return classes
    }


    private func augment(_ spec: AugmentationSpec, shard: Shard = .whole, out: URL, checkpoint: URL) throws -> AugmentationJob {
        var options = SamplingOptions()
        options.steps = 2
        let source = try GeneratorLoader.load(checkpoint: checkpoint, options: options)
        return try AugmentationJob(source: source, spec: spec, shard: shard, filter: nil, directory: out)
    }

    /// Rewrites a job folder in the layout of earlier versions: blocks under `blocks/class-C/block-K.safetensors`.
    private func moveBlocksToLegacyLayout(_ directory: URL, spec: AugmentationSpec) throws {
        for block in spec.blocks {
            let current = BlockStore.url(of: block, in: directory)
            guard FileManager.default.fileExists(atPath: current.path) else { continue }
            let legacy = BlockStore.legacyURL(of: block, in: directory)
            try FileManager.default.createDirectory(at: legacy.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.moveItem(at: current, to: legacy)
        }
    }

    func testAugmentPNGOutputHoldsOnlyClassFoldersAndTrainsAsItIs() throws {
        let checkpoint = scratch.appendingPathComponent("model.safetensors")
        try AugmentationTests.writeCheckpoint(classes: 3, to: checkpoint)
        let spec = AugmentationSpec(perClass: 3, classes: [2, 0], seed: 4, format: .png, blockSize: 2)
        let out = scratch.appendingPathComponent("synthetic")
        _ = try XCTUnwrap(try augment(spec, out: out, checkpoint: checkpoint).run())
        XCTAssertEqual(try imageFolderClasses(out), ["0": 3, "2": 3], "no folder beside the class folders")
        XCTAssertEqual(Set(try files(in: out).keys.filter { !$0.contains("/") }),
                       ["manifest.json", ".block-0-000000.safetensors", ".block-0-000001.safetensors",
                        ".block-2-000000.safetensors", ".block-2-000001.safetensors"])

        let recipe = try Fixtures.directory.appendingPathComponent("tiny-classifier.toml")
        let (parsed, _) = try RecipeLoader.load(recipe, overrides: ["data.path=\(out.path)", "train.batch=2"])
        let train = try TrainingJob.loadSplit(parsed, split: .train, recipePath: recipe.path)
        XCTAssertEqual(train.examples.count, 6)
        XCTAssertEqual(train.examples.labels, [0, 0, 0, 1, 1, 1], "folders 0 and 2 are ImageFolder's classes 0 and 1")
        let (images, labels) = try SampleSet.read(out, channels: 1)
        XCTAssertEqual(images.shape, [6, 1, 8, 8])
        XCTAssertEqual(labels, [0, 0, 0, 2, 2, 2], "eval keeps reading class numbers")
    }

    func testTheCommandsChainAugmentPNGIntoTrain() throws {
        let checkpoint = scratch.appendingPathComponent("model.safetensors")
        try AugmentationTests.writeCheckpoint(classes: 3, to: checkpoint)
        let out = scratch.appendingPathComponent("synthetic")
        let augment = try GenStudioExecutable.run(["augment", checkpoint.path, "--per-class", "2", "--format", "png",
                                                   "--steps", "2", "--out", out.path], logs: scratch)
        assertSuccess(augment)
        XCTAssertEqual(try imageFolderClasses(out), ["0": 2, "1": 2, "2": 2])
        // A conditional GAN: no test split needed, and the labels matter.
        let recipe = try Fixtures.directory.appendingPathComponent("tiny-cgan.toml")
        let train = try GenStudioExecutable.run(["train", recipe.path, "--set", "data.path=\(out.path)", "--set", "train.batch=2",
                                                 "--out", scratch.appendingPathComponent("run").path, "--max-steps", "1"], logs: scratch)
        assertSuccess(train)
        XCTAssertTrue(train.output.contains("0 0, 1 1, 2 2"), train.output)
        XCTAssertFalse(train.output.contains("left out"), train.output)
    }

    func testOutputsInTheEarlierLayoutStillResumeMergeAndTrain() throws {
        let checkpoint = scratch.appendingPathComponent("model.safetensors")
        try AugmentationTests.writeCheckpoint(classes: 3, to: checkpoint)
        let spec = AugmentationSpec(perClass: 3, classes: [1, 0], seed: 9, format: .png, blockSize: 2)
        let whole = scratch.appendingPathComponent("whole")
        _ = try XCTUnwrap(try augment(spec, out: whole, checkpoint: checkpoint).run())
        let shards = (0..<2).map { scratch.appendingPathComponent("shard\($0)") }
        for (index, shard) in shards.enumerated() {
            try augment(spec, shard: Shard(index: index, count: 2), out: shard, checkpoint: checkpoint).run()
            try moveBlocksToLegacyLayout(shard, spec: spec)
        }
        XCTAssertTrue(try files(in: shards[0]).keys.contains("blocks/class-0/block-000000.safetensors"))

        var progress: [AugmentationProgress] = []
        _ = try XCTUnwrap(try augment(spec, shard: Shard(index: 0, count: 2), out: shards[0], checkpoint: checkpoint)
            .run(progress: { progress.append($0) }))
        XCTAssertEqual(progress.first?.resumed, progress.first?.total, "every block found in blocks/")
        XCTAssertFalse(try files(in: shards[0]).keys.contains { $0.hasPrefix(".block-") }, "nothing regenerated")

        let merged = scratch.appendingPathComponent("merged")
        try AugmentationJob.merge(shards, into: merged)
        XCTAssertEqual(try files(in: merged), try files(in: whole), "merged old-layout shards equal the new single-process job")

        let recipe = try Fixtures.directory.appendingPathComponent("tiny-classifier.toml")
        let (parsed, _) = try RecipeLoader.load(recipe, overrides: ["data.path=\(shards[1].path)", "train.batch=1"])
        let train = try TrainingJob.loadSplit(parsed, split: .train, recipePath: recipe.path)
        XCTAssertEqual(train.examples.count, try AugmentationManifest.read(in: shards[1])?.files.count,
                       "blocks/ holds no images, so it is no class")
    }
}
