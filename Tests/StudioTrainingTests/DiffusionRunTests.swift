import Foundation
import StudioCore
import StudioIO
import StudioModels
import XCTest
@testable import StudioTraining

/// Issue 5's runs: both recipes train and resume byte-exactly; a checkpoint alone samples with DDPM,
/// DDIM and DPM-Solver++; DDIM with eta 0 is deterministic; the moving average is what sampling uses;
/// bad requests fail cleanly.
final class DiffusionRunTests: XCTestCase {
    /// Two tiny runs shared by the sampling tests: unconditional and conditional, 6 steps each.
    private static var runs: SharedRuns!
    private static var unconditional: URL { runs.root.appendingPathComponent("unconditional") }
    private static var conditional: URL { runs.root.appendingPathComponent("conditional") }
    private var scratch: URL!

    static var tinyRecipe: URL { get throws { try Fixtures.directory.appendingPathComponent("tiny-ddpm.toml") } }
    static let conditionalOverride = "model.classes=10"

    override class func setUp() {
        super.setUp()
        runs = SharedRuns { root in
            for (name, extra) in [("unconditional", [String]()), ("conditional", [conditionalOverride])] {
                let session = try TrainingJob.start(recipe: try tinyRecipe, overrides: [try Fixtures.dataOverride] + extra,
                                                    outputs: root, runDirectory: root.appendingPathComponent(name))
                _ = try session.run()
            }
        }
    }

    override class func tearDown() {
        runs?.remove()
        super.tearDown()
    }

    override func setUpWithError() throws {
        try Self.runs.check()
        scratch = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    /// The model file of `run`'s latest checkpoint copied alone into the scratch directory.
    private func lonelyModelFile(_ run: URL, name: String) throws -> URL {
        let copy = scratch.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        let file = copy.appendingPathComponent(Checkpoint.modelFile)
        try FileManager.default.copyItem(at: Checkpoint.resolve(run).appendingPathComponent(Checkpoint.modelFile), to: file)
        return file
    }

    private func sample(_ source: URL, _ arguments: [String], out name: String,
                        file: StaticString = #filePath, line: UInt = #line) throws -> (URL, ProcessResult) {
        let out = scratch.appendingPathComponent(name)
        let result = try GenStudioExecutable.run(["sample", source.path] + arguments + ["--out", out.path], logs: scratch, file: file, line: line)
        assertSuccess(result, file: file, line: line)
        return (out, result)
    }

    private func samples(_ url: URL, file: StaticString = #filePath, line: UInt = #line) throws -> Tensor {
        try XCTUnwrap(try SafeTensors.read(from: url)["samples"], "no tensor 'samples' in \(url.path)", file: file, line: line)
    }

    // MARK: - Training and resuming

    private func assertResumeIsExact(_ overrides: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let all = [try Fixtures.dataOverride, "train.steps=6", "checkpoint.interval=3", "sample.count=2"] + overrides
        let straightURL = scratch.appendingPathComponent("straight"), splitURL = scratch.appendingPathComponent("split")
        let straight = try TrainingJob.start(recipe: try Self.tinyRecipe, overrides: all, outputs: scratch, runDirectory: straightURL)
        XCTAssertEqual(try straight.run(), .finished, file: file, line: line)
        let first = try TrainingJob.start(recipe: try Self.tinyRecipe, overrides: all, outputs: scratch, runDirectory: splitURL)
        XCTAssertEqual(try first.run(maxSteps: 3), .stepLimit, file: file, line: line)
        let resumed = try TrainingJob.resume(splitURL)
        XCTAssertEqual(resumed.step, 3, file: file, line: line)
        XCTAssertEqual(try resumed.run(), .finished, file: file, line: line)
        let a = try Checkpoint.resolve(straightURL), b = try Checkpoint.resolve(splitURL)
        XCTAssertEqual(a.lastPathComponent, Checkpoint.name(step: 6), file: file, line: line)
        for name in [Checkpoint.modelFile, Checkpoint.optimizerFile] {
            XCTAssertTrue(try contents(of: a.appendingPathComponent(name)) == contents(of: b.appendingPathComponent(name)),
                          "\(name) differs after resuming", file: file, line: line)
        }
        XCTAssertEqual(try contents(of: RunDirectory(url: straightURL).metricsJSONL),
                       try contents(of: RunDirectory(url: splitURL).metricsJSONL), "metrics differ", file: file, line: line)
        XCTAssertEqual(try contents(of: RunDirectory(url: straightURL).samples.appendingPathComponent("step-000006.png")),
                       try contents(of: RunDirectory(url: splitURL).samples.appendingPathComponent("step-000006.png")),
                       "sample grids differ", file: file, line: line)
    }

    func testUnconditionalRunResumesByteForByte() throws {
        try assertResumeIsExact([])
    }

    func testConditionalVPredictionCosineRunResumesByteForByte() throws {
        try assertResumeIsExact([Self.conditionalOverride, "model.prediction=\"v\"", "model.schedule=\"cosine\""])
    }

    func testCheckpointHoldsTrainedAndAveragedWeightsAndTheAverageCounter() throws {
        let directory = try Checkpoint.resolve(Self.unconditional)
        let model = try SafeTensors.read(from: directory.appendingPathComponent(Checkpoint.modelFile))
        let optimizer = try SafeTensors.read(from: directory.appendingPathComponent(Checkpoint.optimizerFile))
        let trained = model.entries.filter { $0.name.hasPrefix("unet.") }
        XCTAssertFalse(trained.isEmpty)
        XCTAssertEqual(model.entries.count, 2 * trained.count, "one ema.* tensor per trained tensor")
        let weight = try XCTUnwrap(model["unet.conv_in.weight"]), averaged = try XCTUnwrap(model["ema.unet.conv_in.weight"])
        XCTAssertEqual(weight.shape, averaged.shape)
        XCTAssertNotEqual(weight.scalars, averaged.scalars, "after 6 steps the average lags the trained weights")
        XCTAssertEqual(try XCTUnwrap(optimizer["ema.update_count"]).scalars, [6])
        XCTAssertNotNil(optimizer["unet.unet.conv_in.weight.exp_avg"], "Adam's state under the optimizer's name")
    }

    func testLabelDropoutReplacesTheExpectedShareOfLabels() throws {
        var config = DiffusionConfig(imageShape: [1, 8, 8], classes: 10, timesteps: 20, labelDropout: 0.25,
                                     unet: TinyUNet.config)
        config.unet.attentionResolutions = []
        var settings = TrainSettings()
        settings.seed = 3
        let task = try DiffusionTask(config: config, settings: settings, sampleCount: 1)
        let labels = (0..<4000).map { $0 % 10 }
        let draws = task.draws(batch: 4000, shape: [4000, 1, 1, 1], labels: labels, step: 0)
        let conditioning = try XCTUnwrap(draws.labels)
        let dropped = zip(conditioning, labels).filter { $0.0 == 10 }.count
        XCTAssertEqual(Double(dropped) / 4000, 0.25, accuracy: 0.03)
        XCTAssertTrue(zip(conditioning, labels).allSatisfy { $0.0 == $0.1 || $0.0 == 10 })
        XCTAssertTrue(draws.timesteps.allSatisfy { (0..<20).contains($0) })
        XCTAssertEqual(Set(draws.timesteps).count, 20, "every timestep is drawn")
        let again = task.draws(batch: 4000, shape: [4000, 1, 1, 1], labels: labels, step: 0)
        XCTAssertEqual(again.timesteps, draws.timesteps, "draws depend on (seed, step) only")
        XCTAssertNotEqual(task.draws(batch: 4000, shape: [4000, 1, 1, 1], labels: labels, step: 1).timesteps, draws.timesteps)
    }

    // MARK: - Sampling from a checkpoint alone

    func testBothSamplersWorkFromTheModelFileAlone() throws {
        let file = try lonelyModelFile(Self.unconditional, name: "alone")
        for sampler in ["ddpm", "ddim"] {
            let (out, result) = try sample(file, ["--sampler", sampler, "--count", "3"], out: "\(sampler).safetensors")
            let images = try samples(out)
            XCTAssertEqual(images.shape, [3, 1, 28, 28])
            XCTAssertTrue(images.scalars.allSatisfy { $0 >= -1 && $0 <= 1 && $0.isFinite })
            XCTAssertTrue(result.stdout.contains("denoising step"), "progress over the denoising steps: \(result.stdout)")
            XCTAssertTrue(result.stdout.contains("\(sampler), \(sampler == "ddpm" ? 20 : 20) steps"), result.stdout)
        }
        let (conditionalOut, _) = try sample(try lonelyModelFile(Self.conditional, name: "cond"),
                                             ["--class", "7", "--guidance", "3", "--sampler", "ddpm", "--steps", "5", "--count", "2"],
                                             out: "cond.safetensors")
        XCTAssertEqual(try samples(conditionalOut).shape, [2, 1, 28, 28])
    }

    func testDPMSolverSamplesAndAugmentationManifestsRecordTheSpacing() throws {
        let (out, result) = try sample(try lonelyModelFile(Self.unconditional, name: "alone"),
                                       ["--sampler", "dpm++2m", "--steps", "3", "--count", "2"], out: "dpm.safetensors")
        let images = try samples(out)
        XCTAssertEqual(images.shape, [2, 1, 28, 28])
        XCTAssertTrue(images.scalars.allSatisfy { $0 >= -1 && $0 <= 1 && $0.isFinite })
        XCTAssertTrue(result.stdout.contains("dpm++2m, 3 steps, trailing spacing"), result.stdout)
        let (ddim, ddimResult) = try sample(Self.unconditional, ["--steps", "3", "--count", "2"], out: "ddim.safetensors")
        XCTAssertTrue(ddimResult.stdout.contains("(ddim, 3 steps, averaged weights)"), "no spacing unless asked: \(ddimResult.stdout)")
        let (trailing, _) = try sample(Self.unconditional, ["--steps", "3", "--count", "2", "--spacing", "trailing"], out: "t.safetensors")
        XCTAssertNotEqual(try samples(trailing).scalars, try samples(ddim).scalars, "--spacing moves DDIM's steps")

        func augment(_ arguments: [String], out name: String) throws -> [String: String] {
            let out = scratch.appendingPathComponent(name)
            let result = try GenStudioExecutable.run(["augment", Self.conditional.path, "--per-class", "1", "--classes", "0,3",
                                                      "--guidance", "2", "--out", out.path] + arguments, logs: scratch)
            assertSuccess(result)
            return try XCTUnwrap(try AugmentationManifest.read(in: out)).job.sampler
        }
        let solver = try augment(["--sampler", "dpm++2m", "--steps", "3", "--spacing", "quadratic"], out: "aug-dpm")
        XCTAssertEqual(solver["sampler"], "dpm++2m")
        XCTAssertEqual(solver["steps"], "3")
        XCTAssertEqual(solver["spacing"], "quadratic")
        XCTAssertEqual(try augment(["--sampler", "dpm++2m", "--steps", "3"], out: "aug-default")["spacing"], "trailing")
        XCTAssertNil(try augment(["--steps", "3"], out: "aug-ddim")["spacing"], "manifests of the older samplers keep their keys")
        XCTAssertEqual(try augment(["--steps", "3", "--spacing", "uniform"], out: "aug-uniform")["spacing"], "uniform")
    }

    func testDDIMWithEtaZeroIsDeterministicAndTheSeedMatters() throws {
        let file = try lonelyModelFile(Self.conditional, name: "alone")
        let arguments = ["--sampler", "ddim", "--steps", "8", "--eta", "0", "--count", "3", "--class", "4"]
        let (a, _) = try sample(file, arguments + ["--seed", "5"], out: "a.safetensors")
        let (b, _) = try sample(file, arguments + ["--seed", "5"], out: "b.safetensors")
        let (c, _) = try sample(file, arguments + ["--seed", "6"], out: "c.safetensors")
        XCTAssertEqual(try contents(of: a), try contents(of: b))
        XCTAssertNotEqual(try samples(a).scalars, try samples(c).scalars)
        // The same noise through --latents gives the same images as the seed that made it.
        var generator = RandomGenerator(seed: 5, stream: 5)
        let noise = Tensor.randomNormal([3, 1, 28, 28], using: &generator)
        let latents = scratch.appendingPathComponent("noise.safetensors")
        try SafeTensors(entries: [.init(name: "latents", tensor: noise)]).write(to: latents)
        let (d, _) = try sample(file, arguments + ["--latents", latents.path], out: "d.safetensors")
        XCTAssertEqual(try samples(d).scalars, try samples(a).scalars)
    }

    func testAveragedWeightsAreTheDefaultAndNoEmaUsesTheTrainedOnes() throws {
        let averaged = try LoadedDiffusion.load(checkpoint: Self.unconditional)
        let trained = try LoadedDiffusion.load(checkpoint: Self.unconditional, averaged: false)
        let file = try SafeTensors.read(from: try Checkpoint.resolve(Self.unconditional).appendingPathComponent(Checkpoint.modelFile))
        let name = "unet.conv_out.weight"
        let loadedAveraged = try XCTUnwrap(averaged.model.namedParameters.first { $0.name == name }).parameter.value
        let loadedTrained = try XCTUnwrap(trained.model.namedParameters.first { $0.name == name }).parameter.value
        XCTAssertEqual(loadedAveraged.scalars, try XCTUnwrap(file["ema." + name]).scalars)
        XCTAssertEqual(loadedTrained.scalars, try XCTUnwrap(file[name]).scalars)
        let (a, _) = try sample(Self.unconditional, ["--steps", "4", "--count", "2"], out: "ema.safetensors")
        let (b, _) = try sample(Self.unconditional, ["--steps", "4", "--count", "2", "--no-ema"], out: "raw.safetensors")
        XCTAssertNotEqual(try samples(a).scalars, try samples(b).scalars)
    }

    func testTrajectoryGridAndOutputFormats() throws {
        let trajectory = scratch.appendingPathComponent("trajectory.png")
        let (grid, _) = try sample(Self.unconditional, ["--grid", "2x3", "--steps", "10", "--trajectory", trajectory.path,
                                                        "--trajectory-points", "5"], out: "grid.png")
        let image = try PNGImage.read(from: grid)
        XCTAssertEqual(image.width, 3 * 30 + 2)
        XCTAssertEqual(image.height, 2 * 30 + 2)
        let frames = try PNGImage.read(from: trajectory)
        XCTAssertEqual(frames.width, 5 * 30 + 2, "one column per trajectory point")
        XCTAssertEqual(frames.height, 6 * 30 + 2, "one row per sample")
        let (idx, _) = try sample(Self.unconditional, ["--count", "2", "--steps", "2"], out: "s.idx")
        XCTAssertEqual(try IDXFile.read(from: idx).shape, [2, 28, 28])
        let (folder, _) = try sample(Self.unconditional, ["--count", "2", "--steps", "2"], out: "folder")
        XCTAssertEqual(listing(folder), ["0000.png", "0001.png"])
    }

    // MARK: - Bad input

    private func assertRefused(_ source: URL, _ arguments: [String], mentions phrases: [String],
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let out = scratch.appendingPathComponent("refused.png")
        let result = try GenStudioExecutable.run(["sample", source.path] + arguments + ["--out", out.path], logs: scratch, file: file, line: line)
        assertCleanFailure(result, mentions: phrases, file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "nothing is written on refusal", file: file, line: line)
    }

    func testBadSamplingRequestsAreClearErrors() throws {
        let plain = Self.unconditional, classes = Self.conditional
        try assertRefused(plain, ["--guidance", "3"], mentions: ["--guidance", "unconditional"])
        try assertRefused(plain, ["--class", "1"], mentions: ["--class", "unconditional"])
        try assertRefused(classes, ["--class", "10"], mentions: ["--classes 10", "0...9"])
        try assertRefused(classes, ["--class=-1"], mentions: ["--classes -1", "0...9"])
        try assertRefused(plain, ["--steps", "21"], mentions: ["--denoising-steps", "1...20"])
        try assertRefused(plain, ["--steps", "0"], mentions: ["--denoising-steps", "1...20"])
        try assertRefused(plain, ["--sampler", "euler"], mentions: ["--sampler", "ddpm, ddim or dpm++2m"])
        try assertRefused(plain, ["--sampler", "ddpm", "--eta", "0.5"], mentions: ["--eta", "ddim"])
        try assertRefused(plain, ["--sampler", "dpm++2m", "--eta", "0.5"], mentions: ["--eta", "ddim sampler only"])
        try assertRefused(plain, ["--spacing", "diagonal"], mentions: ["--spacing", "uniform, trailing or quadratic"])
        try assertRefused(plain, ["--eta", "-1"], mentions: ["--eta"])
        try assertRefused(plain, ["--interpolate", "4"], mentions: ["--interpolate", "GAN"])
        let wrongLatents = scratch.appendingPathComponent("latents.safetensors")
        try SafeTensors(entries: [.init(name: "latents", tensor: Tensor(zeros: [2, 8]))]).write(to: wrongLatents)
        try assertRefused(plain, ["--latents", wrongLatents.path], mentions: ["latents", "[N, 1, 28, 28]"])
    }

    func testDiffusionOptionsOnAGANCheckpointAreRefused() throws {
        let gan = scratch.appendingPathComponent("gan")
        let session = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: [try Fixtures.dataOverride, "train.steps=1"],
                                            outputs: scratch, runDirectory: gan)
        _ = try session.run()
        try assertRefused(gan, ["--sampler", "ddim", "--guidance", "2"], mentions: ["--sampler", "--guidance", "diffusion models only"])
        try assertRefused(gan, ["--spacing", "trailing"], mentions: ["--spacing", "diffusion models only"])
    }

    func testConditionalRecipeOnDataWithLabelsOutsideItsClassesIsRefused() throws {
        XCTAssertThrowsError(try TrainingJob.start(recipe: try Self.tinyRecipe, overrides: [try Fixtures.dataOverride, "model.classes=3"],
                                                   outputs: scratch, runDirectory: scratch.appendingPathComponent("r"))) { error in
            XCTAssertTrue("\(error)".contains("model.classes = 3"), "\(error)")
        }
    }
}
