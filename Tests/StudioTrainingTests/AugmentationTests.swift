import Foundation
import XCTest
import StudioCore
import StudioIO
import StudioModels
@testable import StudioTraining

/// Accepts images whose mean pixel is at least the class's threshold: a stand-in classifier with a
/// verdict the tests can predict.
private struct BrightnessFilter: SampleFilter {
    var imageShape = [1, 8, 8]
    var identity = "brightness"
    func confidence(images: Tensor, labels: [Int]) throws -> [Float] {
        let n = images.shape[0]
        return images.reshaped(to: [n, -1]).mean(alongAxes: [1]).scalars
    }
}

final class AugmentationTests: XCTestCase {
    private var directory: URL!
    private var checkpoint: URL!

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory()
        checkpoint = directory.appendingPathComponent("model.safetensors")
        try Self.writeCheckpoint(classes: 3, to: checkpoint)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// A freshly initialised conditional UNet on 8x8 images with T = 10, saved as a checkpoint.
    static func writeCheckpoint(classes: Int, to url: URL, size: Int = 8) throws {
        var config = DiffusionConfig(imageShape: [1, size, size], classes: classes, timesteps: 10, unet: TinyUNet.config)
        config.unet.attentionResolutions = []
        let task = try DiffusionTask(config: config, settings: TrainSettings(), sampleCount: 1)
        try task.modelState(step: 0).write(to: url)
    }

    private func source(sampler: DiffusionSamplerKind = .ddim) throws -> any GenerativeModel {
        var options = SamplingOptions()
        options.sampler = sampler
        options.steps = 3
        options.guidance = 2
        return try GeneratorLoader.load(checkpoint: checkpoint, options: options)
    }

    private func job(_ spec: AugmentationSpec, shard: Shard = .whole, filter: SampleFilter? = nil, out: String) throws -> AugmentationJob {
        try AugmentationJob(source: try source(), spec: spec, shard: shard, filter: filter, directory: directory.appendingPathComponent(out))
    }

    private func files(in name: String) throws -> [String: Data] {
        let root = directory.appendingPathComponent(name)
        var result: [String: Data] = [:]
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])!
        for case let url as URL in walker where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            result[String(url.path.dropFirst(root.path.count + 1))] = try Data(contentsOf: url)
        }
        return result
    }

    private let spec = AugmentationSpec(perClass: 5, classes: [2, 0], seed: 11, format: .idx, blockSize: 2)

    func testShardsMergedGiveTheSameBytesAsOneProcess() throws {
        let whole = try XCTUnwrap(try job(spec, out: "whole").run())
        XCTAssertEqual(whole.counts, ["0": 5, "2": 5])
        XCTAssertEqual(whole.files.map(\.path), ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"])
        for index in 0..<3 { try job(spec, shard: Shard(index: index, count: 3), out: "shard\(index)").run() }
        let shardDirectories = (0..<3).map { directory.appendingPathComponent("shard\($0)") }
        try AugmentationJob.merge(shardDirectories.reversed(), into: directory.appendingPathComponent("merged"))
        XCTAssertEqual(try files(in: "merged"), try files(in: "whole"), "merged shards equal the single-process job, manifest included")

        let images = try IDXFile.read(from: directory.appendingPathComponent("whole/train-images-idx3-ubyte"))
        let labels = try IDXFile.read(from: directory.appendingPathComponent("whole/train-labels-idx1-ubyte"))
        XCTAssertEqual(images.shape, [10, 8, 8])
        XCTAssertEqual(labels.values, [0, 0, 0, 0, 0, 2, 2, 2, 2, 2])
        let manifest = try XCTUnwrap(try AugmentationManifest.read(in: directory.appendingPathComponent("whole")))
        XCTAssertEqual(manifest.job.checkpointSHA256, try AugmentationManifest.sha256(of: checkpoint))
        XCTAssertEqual(manifest.job.sampler["sampler"], "ddim")
        XCTAssertEqual(manifest.files[0].sha256, AugmentationManifest.sha256(of: try Data(contentsOf: directory.appendingPathComponent("whole/train-images-idx3-ubyte"))))
    }

    func testEachSamplesNoiseDependsOnSeedClassAndIndexOnly() throws {
        let job = try job(spec, out: "noise")
        let all = job.noise(label: 2, indices: 0..<5)
        XCTAssertEqual(job.noise(label: 2, indices: 3..<5).scalars, all.sliced(alongAxis: 0, 3..<5).scalars)
        XCTAssertNotEqual(job.noise(label: 0, indices: 0..<5).scalars, all.scalars)
    }

    func testAStoppedJobResumesWithoutRedoingFinishedBlocks() throws {
        let reference = try XCTUnwrap(try job(spec, out: "reference").run())
        var calls = 0
        let partial = try job(spec, out: "resumed").run(shouldStop: { calls += 1; return calls > 2 })
        XCTAssertNil(partial, "stopped before the end")
        XCTAssertEqual(try AugmentationManifest.read(in: directory.appendingPathComponent("resumed"))?.complete, false)
        var progress: [AugmentationProgress] = []
        let resumed = try XCTUnwrap(try job(spec, out: "resumed").run(progress: { progress.append($0) }))
        XCTAssertEqual(progress.first?.resumed, 4, "the two finished blocks of class 0 are kept")
        XCTAssertEqual(progress.last?.kept, 10)
        XCTAssertEqual(resumed, reference.withCheckpointPath(resumed.checkpointPath))
        XCTAssertEqual(try files(in: "resumed"), try files(in: "reference"))
    }

    func testPNGFormatWritesClassFolders() throws {
        var png = spec
        png.format = .png
        let manifest = try XCTUnwrap(try job(png, out: "png").run())
        XCTAssertEqual(manifest.files.count, 10)
        XCTAssertEqual(manifest.files.first?.path, "0/000000.png")
        XCTAssertEqual(manifest.files.last?.path, "2/000004.png")
        let image = try PNGImage.read(from: directory.appendingPathComponent("png/2/000004.png"))
        XCTAssertEqual([image.width, image.height], [8, 8])
        let reference = try XCTUnwrap(try job(spec, out: "idx").run())
        let images = try IDXFile.read(from: directory.appendingPathComponent("idx/train-images-idx3-ubyte"))
        XCTAssertEqual(image.pixels.map(Float.init), Array(images.values[(9 * 64)...]), "PNG and IDX hold the same bytes")
        XCTAssertEqual(reference.counts, manifest.counts)
    }

    func testTheFilterKeepsConfidentSamplesAndCountsTheRest() throws {
        let candidates = try job(spec, out: "unfiltered").run()!
        XCTAssertEqual(candidates.rejected, ["0": 0, "2": 0])
        var filtered = spec
        filtered.minConfidence = 0.5
        filtered.maxTries = 200
        let manifest = try XCTUnwrap(try job(filtered, filter: BrightnessFilter(), out: "filtered").run())
        XCTAssertEqual(manifest.counts, ["0": 5, "2": 5])
        XCTAssertGreaterThan(manifest.rejected.values.reduce(0, +), 0, "an untrained model makes dark and bright noise alike")
        let images = try IDXFile.read(from: directory.appendingPathComponent("filtered/train-images-idx3-ubyte"))
        for i in 0..<10 {
            let mean = images.values[(i * 64)..<((i + 1) * 64)].reduce(0, +) / 64 / 255
            XCTAssertGreaterThanOrEqual(mean, 0.49, "sample \(i) passed the filter")
        }

        var impossible = spec
        impossible.minConfidence = 1
        impossible.maxTries = 2
        XCTAssertThrowsError(try job(impossible, filter: BrightnessFilter(), out: "impossible").run()) { error in
            XCTAssertTrue("\(error)".contains("--min-confidence") && "\(error)".contains("--max-tries"), "\(error)")
        }
        XCTAssertThrowsError(try job(filtered, filter: BrightnessFilter(imageShape: [1, 28, 28]), out: "other-size")) { error in
            XCTAssertTrue("\(error)".contains("[1, 28, 28]"), "\(error)")
        }
    }

    func testAConditionalGANAugmentsAndDrawsLabelledSamples() throws {
        let run = directory.appendingPathComponent("cgan")
        let session = try TrainingJob.start(recipe: try Fixtures.directory.appendingPathComponent("tiny-cgan.toml"),
                                            overrides: [try Fixtures.dataOverride, "train.steps=1"], outputs: directory, runDirectory: run)
        _ = try session.run()
        let model = try LoadedGAN.load(checkpoint: run)
        let gan = try AugmentationJob(source: model, spec: AugmentationSpec(perClass: 3, classes: [1, 0], seed: 2, blockSize: 2),
                                      directory: directory.appendingPathComponent("gan-out"))
        let manifest = try XCTUnwrap(try gan.run())
        XCTAssertEqual(manifest.counts, ["0": 3, "1": 3])
        XCTAssertEqual(manifest.job.sampler["sampler"], "generator")
        let drawn = try model.drawSamples(count: 5, seed: 1)
        XCTAssertEqual(drawn.labels, (0..<5).map { $0 % model.gan.config.classCount })
        XCTAssertEqual(drawn.examples.shape.dimensions, [5] + model.gan.config.imageShape)
        XCTAssertGreaterThanOrEqual(drawn.examples.scalars.min()!, 0)
    }

    func testBadRequestsAreClearErrorsAndOverwriteNothing() throws {
        let unconditional = directory.appendingPathComponent("unconditional.safetensors")
        try Self.writeCheckpoint(classes: 0, to: unconditional)
        XCTAssertThrowsError(try AugmentationJob(source: try LoadedDiffusion.load(checkpoint: unconditional), spec: AugmentationSpec(perClass: 1, classes: [0]),
                                                 directory: directory.appendingPathComponent("none"))) { error in
            XCTAssertTrue("\(error)".contains("unconditional"), "\(error)")
        }
        XCTAssertThrowsError(try job(AugmentationSpec(perClass: 1, classes: [3]), out: "range")) { error in
            XCTAssertTrue("\(error)".contains("class 3 is outside the model's classes 0...2"), "\(error)")
        }

        try job(spec, out: "taken").run()
        let manifestURL = directory.appendingPathComponent("taken/manifest.json")
        let before = try Data(contentsOf: manifestURL)
        var other = spec
        other.seed = 12
        XCTAssertThrowsError(try job(other, out: "taken")) { error in
            XCTAssertTrue("\(error)".contains("different augmentation job (seed 11 instead of 12)"), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: manifestURL), before)

        let foreign = directory.appendingPathComponent("foreign")
        try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: foreign.appendingPathComponent("notes.txt"))
        XCTAssertThrowsError(try job(spec, out: "foreign")) { error in
            XCTAssertTrue("\(error)".contains("not empty"), "\(error)")
        }

        for index in 0..<2 { try job(spec, shard: Shard(index: index, count: 2), out: "half\(index)").run() }
        try job(other, shard: Shard(index: 1, count: 2), out: "other1").run()
        let half0 = directory.appendingPathComponent("half0"), half1 = directory.appendingPathComponent("half1")
        XCTAssertThrowsError(try AugmentationJob.merge([half0], into: directory.appendingPathComponent("m1"))) { error in
            XCTAssertTrue("\(error)".contains("shard 1/2 is missing"), "\(error)")
        }
        XCTAssertThrowsError(try AugmentationJob.merge([half0, half0, half1], into: directory.appendingPathComponent("m2"))) { error in
            XCTAssertTrue("\(error)".contains("given twice"), "\(error)")
        }
        XCTAssertThrowsError(try AugmentationJob.merge([half0, directory.appendingPathComponent("other1")],
                                                       into: directory.appendingPathComponent("m3"))) { error in
            XCTAssertTrue("\(error)".contains("different jobs"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("m3").path))
        XCTAssertThrowsError(try Shard(parsing: "2/2"))
        XCTAssertEqual(try Shard(parsing: "1/4"), Shard(index: 1, count: 4))
    }
}

/// `genstudio augment` through the executable.
final class AugmentCommandTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws { directory = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testShardsThroughTheCommandMergeIntoTheWholeJob() throws {
        let checkpoint = directory.appendingPathComponent("model.safetensors")
        try AugmentationTests.writeCheckpoint(classes: 3, to: checkpoint)
        let common = [checkpoint.path, "--per-class", "3", "--classes", "2,1", "--format", "png", "--seed", "5",
                      "--block-size", "2", "--steps", "2"]
        let whole = try GenStudioExecutable.run(["augment"] + common + ["--out", directory.appendingPathComponent("whole").path], logs: directory)
        assertSuccess(whole)
        XCTAssertTrue(whole.stdout.contains("samples 6/6"), whole.stdout)
        XCTAssertTrue(whole.stdout.contains("samples/s"), whole.stdout)
        for index in 0..<2 {
            assertSuccess(try GenStudioExecutable.run(["augment"] + common + ["--shard", "\(index)/2", "--out",
                                                      directory.appendingPathComponent("s\(index)").path], logs: directory))
        }
        let merged = directory.appendingPathComponent("merged")
        assertSuccess(try GenStudioExecutable.run(["augment", "merge", directory.appendingPathComponent("s0").path,
                                                   directory.appendingPathComponent("s1").path, "--out", merged.path], logs: directory))
        for name in ["manifest.json", "1/000002.png", "2/000000.png"] {
            XCTAssertEqual(try Data(contentsOf: merged.appendingPathComponent(name)),
                           try Data(contentsOf: directory.appendingPathComponent("whole").appendingPathComponent(name)), name)
        }

        let unconditional = directory.appendingPathComponent("unconditional.safetensors")
        try AugmentationTests.writeCheckpoint(classes: 0, to: unconditional)
        assertCleanFailure(try GenStudioExecutable.run(["augment", unconditional.path, "--per-class", "2", "--out",
                                                        directory.appendingPathComponent("u").path], logs: directory),
                           mentions: ["unconditional", "class-conditional"])
        assertCleanFailure(try GenStudioExecutable.run(["augment"] + common + ["--classes", "1,9", "--out",
                                                        directory.appendingPathComponent("c").path], logs: directory),
                           mentions: ["class 9 is outside"])
        assertCleanFailure(try GenStudioExecutable.run(["augment"] + common + ["--seed", "6", "--out",
                                                        directory.appendingPathComponent("whole").path], logs: directory),
                           mentions: ["different augmentation job"])
        assertCleanFailure(try GenStudioExecutable.run(["augment"] + common + ["--shard", "3/2", "--out",
                                                        directory.appendingPathComponent("bad").path], logs: directory),
                           mentions: ["--shard must be I/N"])
    }
}

private extension AugmentationManifest {
    func withCheckpointPath(_ path: String) -> AugmentationManifest {
        var copy = self
        copy.checkpointPath = path
        return copy
    }
}
