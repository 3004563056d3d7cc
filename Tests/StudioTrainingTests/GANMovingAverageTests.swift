import Foundation
import StudioCore
import StudioIO
import XCTest
@testable import StudioTraining

/// `model.ema_decay` and `model.ema_start` for GANs: the generator's moving average in checkpoints,
/// resumed byte for byte, and used by `sample`, `eval` and `augment` unless `--no-ema` is given.
final class GANMovingAverageTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws { scratch = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private func train(_ name: String, _ extra: [String], maxSteps: Int? = nil) throws -> URL {
        let run = scratch.appendingPathComponent(name)
        let session = try TrainingJob.start(recipe: try Fixtures.directory.appendingPathComponent("tiny-cgan.toml"),
                                            overrides: [try Fixtures.dataOverride, "train.steps=6", "checkpoint.interval=3",
                                                        "sample.interval=3"] + extra,
                                            outputs: scratch, runDirectory: run)
        _ = try session.run(maxSteps: maxSteps)
        return run
    }

    private func files(_ run: URL) throws -> (model: SafeTensors, optimizer: SafeTensors) {
        let directory = try Checkpoint.resolve(run)
        return (try SafeTensors.read(from: directory.appendingPathComponent(Checkpoint.modelFile)),
                try SafeTensors.read(from: directory.appendingPathComponent(Checkpoint.optimizerFile)))
    }

    func testTheAverageIsStoredUnderThePrefixAndCountsFromTheStartStep() throws {
        let run = try train("ema", ["model.ema_decay=0.9", "model.ema_start=2"])
        let (model, optimizer) = try files(run)
        let gan = try LoadedGAN.load(checkpoint: run)
        let averaged = model.entries.map(\.name).filter { $0.hasPrefix("ema.") }.sorted()
        XCTAssertEqual(averaged, gan.gan.generatorParametersByCheckpointName.map { "ema." + $0.name }.sorted())
        // Steps 0 and 1 follow the trained weights; steps 2...5 are updates.
        XCTAssertEqual(try XCTUnwrap(optimizer["ema.update_count"]).scalars, [4])
        XCTAssertTrue(gan.usesAveragedWeights)
        XCTAssertEqual(gan.settings["weights"], "ema")

        let late = try train("late", ["model.ema_decay=0.9", "model.ema_start=100"])
        let (lateModel, _) = try files(late)
        for name in gan.gan.generatorParametersByCheckpointName.map(\.name) {
            XCTAssertEqual(lateModel["ema." + name]?.scalars, lateModel[name]?.scalars, "before ema_start the average is the trained \(name)")
        }
    }

    func testResumedRunsEndWithTheSameBytes() throws {
        let extra = ["model.ema_decay=0.8", "model.ema_start=1"]
        let straight = try train("straight", extra)
        let interrupted = try train("interrupted", extra, maxSteps: 3)
        _ = try TrainingJob.resume(interrupted).run()
        let a = try files(straight), b = try files(interrupted)
        XCTAssertEqual(a.model.encoded(), b.model.encoded())
        XCTAssertEqual(a.optimizer.encoded(), b.optimizer.encoded())
    }

    func testSamplingUsesTheAverageUnlessToldNot() throws {
        let run = try train("ema", ["model.ema_decay=0.5"])
        let averaged = scratch.appendingPathComponent("averaged.safetensors"), trained = scratch.appendingPathComponent("trained.safetensors")
        assertSuccess(try GenStudioExecutable.run(["sample", run.path, "--count", "3", "--out", averaged.path], logs: scratch))
        assertSuccess(try GenStudioExecutable.run(["sample", run.path, "--count", "3", "--no-ema", "--out", trained.path], logs: scratch))
        let a = try XCTUnwrap(try SafeTensors.read(from: averaged)["samples"]), t = try XCTUnwrap(try SafeTensors.read(from: trained)["samples"])
        XCTAssertNotEqual(a.scalars, t.scalars)

        var options = SamplingOptions()
        options.averagedWeights = false
        let plain = try GeneratorLoader.load(checkpoint: run, options: options)
        XCTAssertFalse(try XCTUnwrap(plain as? LoadedGAN).usesAveragedWeights)
        var unused = RandomGenerator(seed: 0)
        XCTAssertEqual(t.scalars, try plain.draw(noise: plain.initialNoise(seed: 0, first: 0, count: 3), labels: [0, 1, 2],
                                                 stepNoise: &unused, progress: { _, _ in }).scalars)

        let augmented = scratch.appendingPathComponent("aug")
        assertSuccess(try GenStudioExecutable.run(["augment", run.path, "--per-class", "1", "--classes", "0", "--out", augmented.path], logs: scratch))
        let manifest = try XCTUnwrap(try AugmentationManifest.read(in: augmented))
        XCTAssertEqual(manifest.job.sampler["weights"], "ema")
    }

    func testNoEMAOnAGANWithoutAnAverageIsRefused() throws {
        let run = try train("plain", [])
        let result = try GenStudioExecutable.run(["sample", run.path, "--no-ema", "--out", scratch.appendingPathComponent("x.png").path],
                                                 logs: scratch)
        assertCleanFailure(result, mentions: ["--no-ema", "averaged weights", "holds a GAN"])
        XCTAssertNil(try GeneratorLoader.load(checkpoint: run).settings["weights"], "files without an average keep their manifests' settings")
    }

    func testDecayOutsideTheUnitIntervalIsARecipeError() throws {
        XCTAssertThrowsError(try train("bad", ["model.ema_decay=1.5"])) { error in
            XCTAssertTrue("\(error)".contains("model.ema_decay must lie between 0 and 1"), "\(error)")
        }
    }
}
