import Foundation
import StudioCore
import StudioIO
import XCTest
@testable import StudioTraining

/// One flag name per idea across commands (docs/cli.md), with the old spellings still accepted;
/// help that shows every option; `--version`.
final class CommandLineFlagTests: XCTestCase {
    /// A conditional GAN and an unconditional diffusion model, one and two steps trained.
    private static var runs: SharedRuns!
    private static var gan: URL { runs.root.appendingPathComponent("cgan") }
    private static var diffusion: URL { runs.root.appendingPathComponent("ddpm") }
    private static var ddpmRecipe: URL { get throws { try Fixtures.directory.appendingPathComponent("tiny-ddpm.toml") } }
    private var scratch: URL!

    override class func setUp() {
        super.setUp()
        runs = SharedRuns { root in
            let cgan = try Fixtures.directory.appendingPathComponent("tiny-cgan.toml")
            for (recipe, name, steps) in [(cgan, "cgan", 1), (try ddpmRecipe, "ddpm", 2)] {
                _ = try TrainingJob.start(recipe: recipe, overrides: [try Fixtures.dataOverride, "train.steps=\(steps)"],
                                          outputs: root, runDirectory: root.appendingPathComponent(name)).run()
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

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private func run(_ arguments: [String]) throws -> ProcessResult { try GenStudioExecutable.run(arguments, logs: scratch) }

    private func samples(_ name: String) throws -> Tensor {
        try XCTUnwrap(try SafeTensors.read(from: scratch.appendingPathComponent(name))["samples"])
    }

    /// Every command and subcommand prints its help: a command whose flags clash (two `--steps`)
    /// would fail here rather than for the first user who types it.
    func testEveryCommandPrintsItsHelp() throws {
        let commands = [[], ["data"], ["data", "mnist"], ["data", "fashion-mnist"], ["data", "spoken-digits"], ["train"], ["sample"],
                        ["inspect"], ["eval"], ["eval", "samples"], ["eval", "augmentation"], ["eval", "few-shot"], ["augment"],
                        ["augment", "run"], ["augment", "merge"], ["bench"], ["bench", "ops"], ["bench", "train"], ["bench", "dcgan"],
                        ["bench", "vae"], ["bench", "ddpm"], ["bench", "wavegan"]]
        for command in commands {
            let result = try run(command + ["--help"])
            assertSuccess(result)
            XCTAssertTrue(result.stdout.contains("USAGE: genstudio"), "\(command): \(result.output)")
            XCTAssertFalse(result.output.contains("Validation failed"), "\(command): \(result.output)")
        }
    }

    /// `augment` and `eval` run a default subcommand; their help shows its options too.
    func testHelpOfACommandWithADefaultSubcommandShowsItsOptions() throws {
        for arguments in [["augment", "--help"], ["augment", "-h"], ["help", "augment"]] {
            let result = try run(arguments)
            assertSuccess(result)
            for option in ["merge", "--per-class", "--classes", "--block-size", "--filter", "--denoising-steps", "--threads"] {
                XCTAssertTrue(result.stdout.contains(option), "\(arguments) shows \(option): \(result.stdout)")
            }
        }
        for command in ["augmentation", "few-shot"] {
            let help = try run(["eval", command, "--help"])
            assertSuccess(help)
            XCTAssertTrue(help.stdout.contains("--threads"), "eval \(command) takes --threads: \(help.stdout)")
        }
        let eval = try run(["eval", "--help"])
        assertSuccess(eval)
        for option in ["few-shot", "--classifier", "--data, --reference", "--count", "--pairs", "--allow-incomplete", "--sampler"] {
            XCTAssertTrue(eval.stdout.contains(option), "eval --help shows \(option): \(eval.stdout)")
        }
    }

    func testVersionNamesTheNumberAndTheCommit() throws {
        let result = try run(["--version"])
        assertSuccess(result)
        let line = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(line.hasPrefix("genstudio \(Self.versionNumber) (commit "), line)
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        git.arguments = ["git", "-C", root.path, "rev-parse", "--short=12", "HEAD"]
        let pipe = Pipe()
        git.standardOutput = pipe
        git.standardError = FileHandle.nullDevice
        try git.run()
        git.waitUntilExit()
        let head = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if git.terminationStatus == 0 && !head.isEmpty {
            XCTAssertTrue(line.hasPrefix("genstudio \(Self.versionNumber) (commit \(head)"), "built from \(head): \(line)")
        } else {
            XCTAssertEqual(line, "genstudio \(Self.versionNumber) (commit unknown)")
        }
    }

    /// The number `Version.number` holds, read from its source so that raising it needs no test edit.
    private static var versionNumber: String {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/genstudio/Version.swift")
        let text = (try? String(contentsOf: source, encoding: .utf8)) ?? ""
        return text.components(separatedBy: "static let number = \"").dropFirst().first?.components(separatedBy: "\"").first ?? "?"
    }

    /// `--classes` takes one class or several in turn; `--class` is its old spelling.
    func testClassesTakesOneOrSeveralAndClassStillWorks() throws {
        for (arguments, name) in [(["--classes", "3"], "new.safetensors"), (["--class", "3"], "old.safetensors"),
                                  (["--classes", "3,5"], "two.safetensors")] {
            assertSuccess(try run(["sample", Self.gan.path, "--count", "4", "--out", scratch.appendingPathComponent(name).path] + arguments))
        }
        let new = try samples("new.safetensors"), old = try samples("old.safetensors"), two = try samples("two.safetensors")
        XCTAssertEqual(new.scalars, old.scalars, "--class 3 is --classes 3")
        let image = { (tensor: Tensor, i: Int) in tensor.sliced(alongAxis: 0, i..<(i + 1)).scalars }
        XCTAssertEqual(image(two, 0), image(new, 0), "the first class of 3,5 is 3, from the same latent")
        XCTAssertEqual(image(two, 2), image(new, 2))
        XCTAssertNotEqual(image(two, 1), image(new, 1), "the second is 5")
        assertCleanFailure(try run(["sample", Self.gan.path, "--classes", "3,12", "--out", scratch.appendingPathComponent("bad.png").path]),
                           mentions: ["--classes 3,12", "class 12", "0...9"])
        assertCleanFailure(try run(["sample", Self.gan.path, "--classes", "three", "--out", scratch.appendingPathComponent("bad.png").path]),
                           mentions: ["--classes", "'three'", "0,3,7"])
    }

    /// `--label-confidence` reaches the sampling options of `sample` and is refused, naming it, for a plain GAN.
    func testLabelConfidenceIsASamplingOption() throws {
        assertCleanFailure(try run(["sample", Self.gan.path, "--label-confidence", "0.5", "--out", scratch.appendingPathComponent("x.png").path]),
                           mentions: ["--label-confidence applies to semi-supervised GANs only"])
        assertCleanFailure(try run(["augment", Self.gan.path, "--per-class", "1", "--label-confidence", "0.5", "--out",
                                    scratch.appendingPathComponent("aug").path]),
                           mentions: ["--label-confidence"])
    }

    /// `--denoising-steps` names the sampler's steps; `--steps` is still read as them by `sample`.
    func testDenoisingStepsAndItsOldSpelling() throws {
        let common = ["sample", Self.diffusion.path, "--sampler", "ddim", "--count", "2", "--threads", "1"]
        let new = try run(common + ["--denoising-steps", "3", "--out", scratch.appendingPathComponent("new.safetensors").path])
        let old = try run(common + ["--steps", "3", "--out", scratch.appendingPathComponent("old.safetensors").path])
        assertSuccess(new)
        assertSuccess(old)
        XCTAssertTrue(new.stdout.contains("(ddim, 3 steps"), new.stdout)
        XCTAssertEqual(try samples("new.safetensors").scalars, try samples("old.safetensors").scalars)
        assertCleanFailure(try run(common + ["--steps", "3", "--denoising-steps", "4", "--out", scratch.appendingPathComponent("x.png").path]),
                           mentions: ["--steps 3", "--denoising-steps 4", "old spelling"])
        assertCleanFailure(try run(common + ["--denoising-steps", "21", "--out", scratch.appendingPathComponent("x.png").path]),
                           mentions: ["--denoising-steps", "1...20"])
        assertCleanFailure(try run(common + ["--threads", "0", "--out", scratch.appendingPathComponent("x.png").path]),
                           mentions: ["--threads", "at least 1", "0"])
    }

    /// A `.safetensors` of samples says in its header what range its values lie in.
    func testSampleFilesStateTheirValueRange() throws {
        let out = scratch.appendingPathComponent("range.safetensors")
        assertSuccess(try run(["sample", Self.gan.path, "--count", "2", "--out", out.path]))
        let file = try SafeTensors.read(from: out)
        XCTAssertEqual(file.metadata[SampleWriter.valueRangeKey], "[-1, 1]")
        let values = try XCTUnwrap(file["samples"]).scalars
        XCTAssertTrue(values.allSatisfy { (-1...1).contains($0) })
        let help = try run(["sample", "--help"])
        XCTAssertTrue(help.stdout.contains("value_range"), help.stdout)
    }

    /// `train --data` and `--threads` are `--set data.path=` and `--set train.threads=`.
    func testTrainTakesDataAndThreads() throws {
        let out = scratch.appendingPathComponent("run")
        let result = try run(["train", try Fixtures.tinyRecipe.path, "--data", try Fixtures.mnistSmall.path, "--threads", "1",
                              "--max-steps", "1", "--out", out.path])
        assertSuccess(result)
        XCTAssertTrue(result.stdout.contains("compute: 1 threads"), result.stdout)
        let recipe = try String(contentsOf: out.appendingPathComponent("recipe.toml"), encoding: .utf8)
        XCTAssertTrue(recipe.contains(try Fixtures.mnistSmall.path), recipe)
        let resumed = try run(["train", "--resume", out.path, "--threads", "1", "--max-steps", "2"])
        assertSuccess(resumed)
        assertCleanFailure(try run(["train", "--resume", out.path, "--data", "elsewhere"]), mentions: ["--resume", "--threads"])
        assertCleanFailure(try run(["train", try Fixtures.tinyRecipe.path, "--data", scratch.appendingPathComponent("none").path,
                                    "--max-steps", "1", "--out", scratch.appendingPathComponent("r2").path]),
                           mentions: [scratch.appendingPathComponent("none").path])
    }

    /// `bench` counts its timed steps with `--timed-steps` (old: `--steps`) and its sampler's with
    /// `--denoising-steps` (old: `--sample-steps`).
    func testBenchStepFlagsAndTheirOldSpellings() throws {
        for steps in [["--timed-steps", "1", "--denoising-steps", "2"], ["--steps", "1", "--sample-steps", "2"]] {
            let result = try run(["bench", "train", try Self.ddpmRecipe.path, "--batch", "2", "--threads", "1", "--sample-batch", "2"] + steps)
            assertSuccess(result)
            XCTAssertTrue(result.stdout.contains("1 steps in"), result.stdout)
            XCTAssertTrue(result.stdout.contains("DDIM-2"), result.stdout)
        }
        assertCleanFailure(try run(["bench", "train", try Self.ddpmRecipe.path, "--timed-steps", "0"]), mentions: ["--timed-steps", "at least 1"])
    }

    /// `bench ops --only` times just the workloads it names (for a profile of one); a name that matches
    /// none is refused with the list of names.
    func testBenchOpsOnlyTimesTheNamedWorkloads() throws {
        let result = try run(["bench", "ops", "--only", "conv 64->32", "--iterations", "1", "--threads", "1"])
        assertSuccess(result)
        let rows = result.stdout.split(separator: "\n").filter { $0.contains(" N64 ") || $0.hasPrefix("sgemm") }
        XCTAssertEqual(rows.count, 1, result.stdout)
        XCTAssertTrue(rows.first?.hasPrefix("conv 64->32 k3 s1 p1 7x7 N64 fwd") ?? false, result.stdout)
        assertCleanFailure(try run(["bench", "ops", "--only", "conv 99"]), mentions: ["--only 'conv 99'", "sgemm 1024x1024x1024"])
    }
}
