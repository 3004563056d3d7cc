import Foundation
import StudioCore
import StudioIO
import XCTest
@testable import StudioTraining

/// `mpirun -np 2 genstudio ...` on this machine: data-parallel training against one process,
/// resuming, batch norm per rank and synchronised, sharded augmentation, and a rank that dies.
final class DistributedRunTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        _ = try MPIRun.url()
        directory = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    private func train(_ recipe: URL, _ overrides: [String], out: String, ranks: Int?, extra: [String] = [],
                       file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let run = directory.appendingPathComponent(out)
        let arguments = ["train", recipe.path] + overrides.flatMap { ["--set", $0] } + ["--out", run.path] + extra
        assertSuccess(try GenStudioExecutable.run(arguments, logs: directory, ranks: ranks), file: file, line: line)
        return run
    }

    private func model(_ run: URL, step: Int) throws -> SafeTensors {
        try SafeTensors.read(from: run.appendingPathComponent("checkpoints").appendingPathComponent(Checkpoint.name(step: step))
            .appendingPathComponent(Checkpoint.modelFile))
    }

    /// Every tensor of the two checkpoints agrees within `tolerance`.
    private func assertClose(_ a: SafeTensors, _ b: SafeTensors, tolerance: Float,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.entries.map(\.name), b.entries.map(\.name), file: file, line: line)
        var worst: (Float, String) = (0, "")
        for (x, y) in zip(a.entries, b.entries) {
            for (u, v) in zip(x.tensor.scalars, y.tensor.scalars) where abs(u - v) > worst.0 { worst = (abs(u - v), x.name) }
        }
        XCTAssertLessThanOrEqual(worst.0, tolerance, "largest difference in \(worst.1)", file: file, line: line)
    }

    private func vaeRecipe() throws -> URL {
        let url = directory.appendingPathComponent("vae.toml")
        try VAETrainingTests.recipe(steps: 20).write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func testVAEAndDiffusionTrainedByTwoRanksMatchOneProcessRepeatExactlyAndMayContinueAlone() throws {
        let vae = try vaeRecipe()
        let single = try train(vae, [], out: "vae-1", ranks: nil)
        let two = try train(vae, [], out: "vae-2", ranks: 2)
        let again = try train(vae, [], out: "vae-2b", ranks: 2)
        assertClose(try model(single, step: 20), try model(two, step: 20), tolerance: 1e-5)
        XCTAssertEqual(try contents(of: two.appendingPathComponent("checkpoints/step-000020/model.safetensors")),
                       try contents(of: again.appendingPathComponent("checkpoints/step-000020/model.safetensors")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("vae").path),
                       "a rank other than 0 wrote a run directory")
        // No per-rank state: a run of two ranks may go on in one process.
        let moved = try train(vae, [], out: "vae-moved", ranks: 2, extra: ["--max-steps", "10"])
        assertSuccess(try GenStudioExecutable.run(["train", "--resume", moved.path], logs: directory))
        assertClose(try model(single, step: 20), try model(moved, step: 20), tolerance: 1e-5)

        // Conditional, with label dropout and attention; dropout layers off, as they draw per rank.
        let ddpm = try Fixtures.directory.appendingPathComponent("tiny-ddpm.toml")
        let settings = ["data.path=\(try Fixtures.mnistSmall.path)", "model.unet.dropout=0", "model.classes=10",
                        "train.steps=20", "train.lr=1e-4", "train.batch=8", "checkpoint.interval=20"]
        let diffusionSingle = try train(ddpm, settings, out: "ddpm-1", ranks: nil)
        let diffusionTwo = try train(ddpm, settings, out: "ddpm-2", ranks: 2)
        assertClose(try model(diffusionSingle, step: 20), try model(diffusionTwo, step: 20), tolerance: 1e-5)
        let state = try String(contentsOf: diffusionTwo.appendingPathComponent("checkpoints/latest/state.json"), encoding: .utf8)
        XCTAssertTrue(state.contains("\"ranks\" : 2"), state)
        let metrics = try String(contentsOf: diffusionTwo.appendingPathComponent("metrics.csv"), encoding: .utf8)
        XCTAssertEqual(metrics.split(separator: "\n").count, 21, metrics)
    }

    func testAGANWithBatchNormResumesExactlyWithTwoRanksAndSynchronisedStatisticsMatchOneProcess() throws {
        let recipe = try Fixtures.tinyRecipe
        let data = "data.path=\(try Fixtures.mnistSmall.path)"
        let unbroken = try train(recipe, [data], out: "gan", ranks: 2)
        let stopped = try train(recipe, [data], out: "gan-resumed", ranks: 2, extra: ["--max-steps", "4"])
        assertSuccess(try GenStudioExecutable.run(["train", "--resume", stopped.path], logs: directory, ranks: 2))
        XCTAssertEqual(try contents(of: unbroken.appendingPathComponent("checkpoints/step-000008/model.safetensors")),
                       try contents(of: stopped.appendingPathComponent("checkpoints/step-000008/model.safetensors")))
        XCTAssertEqual(try contents(of: unbroken.appendingPathComponent("metrics.csv")),
                       try contents(of: stopped.appendingPathComponent("metrics.csv")))

        let alone = try GenStudioExecutable.run(["train", "--resume", stopped.path, "--max-steps", "9"], logs: directory)
        assertCleanFailure(alone, mentions: ["2 ranks", "batch-norm statistics are per rank", "mpirun -np 2"])

        // Without the dropout layer, whose masks each rank draws, synchronised batch norm makes two
        // ranks compute what one process does.
        let text = try String(contentsOf: recipe, encoding: .utf8).split(separator: "\n")
            .filter { !$0.contains("dropout") }.joined(separator: "\n")
        let plain = directory.appendingPathComponent("gan-no-dropout.toml")
        try text.write(to: plain, atomically: true, encoding: .utf8)
        let single = try train(plain, [data, "train.lr=1e-4"], out: "gan-1", ranks: nil)
        let synced = try train(plain, [data, "train.lr=1e-4", "train.sync_batchnorm=true"], out: "gan-sync", ranks: 2)
        let perRank = try train(plain, [data, "train.lr=1e-4"], out: "gan-per-rank", ranks: 2)
        assertClose(try model(single, step: 8), try model(synced, step: 8), tolerance: 1e-5)
        let runningMean = { (file: SafeTensors) in file["generator.1.running_mean"]!.scalars }
        XCTAssertNotEqual(runningMean(try model(single, step: 8)), runningMean(try model(perRank, step: 8)),
                          "per-rank statistics should differ from the whole batch's")
    }

    func testAnAugmentationJobWithTwoRanksWritesWhatOneProcessWrites() throws {
        let checkpoint = try train(try Fixtures.directory.appendingPathComponent("tiny-cgan.toml"),
                                   ["data.path=\(try Fixtures.mnistSmall.path)", "train.steps=2"], out: "cgan", ranks: nil)
        let common = ["augment", checkpoint.path, "--per-class", "5", "--block-size", "3", "--format", "png"]
        let one = directory.appendingPathComponent("augment-1"), two = directory.appendingPathComponent("augment-2")
        assertSuccess(try GenStudioExecutable.run(common + ["--out", one.path], logs: directory))
        let result = try GenStudioExecutable.run(common + ["--out", two.path, "--shard", "auto"], logs: directory, ranks: 2)
        assertSuccess(result)
        XCTAssertTrue(result.stdout.contains("merged 2 ranks' shards: 50 samples"), result.stdout)
        XCTAssertEqual(try files(in: one), try files(in: two).filter { !$0.key.hasPrefix(".shards/") })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: two.appendingPathComponent(".shards").path).sorted(),
                       ["0-of-2", "1-of-2"])
    }

    func testAKilledRankEndsTheWholeJobAndLeavesTheLastCheckpointReadable() throws {
        let run = directory.appendingPathComponent("killed")
        let arguments = ["train", try Fixtures.tinyRecipe.path, "--set", "data.path=\(try Fixtures.mnistSmall.path)",
                         "--set", "train.steps=100000", "--set", "checkpoint.interval=2", "--out", run.path]
        let (process, out, err) = try GenStudioExecutable.launch(arguments, logs: directory, ranks: 2)
        let latest = run.appendingPathComponent("checkpoints/latest")
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: latest.path) && Date() < deadline { usleep(50_000) }
        // mpirun's children are the two ranks; kill the younger one, rank 1 in all likelihood.
        let children = try childProcesses(of: process.processIdentifier)
        XCTAssertEqual(children.count, 2, "ranks: \(children)")
        kill(children.max()!, SIGKILL)
        let killed = Date()
        let result = GenStudioExecutable.wait(process, stdout: out, stderr: err, timeout: 30)
        XCTAssertLessThan(Date().timeIntervalSince(killed), 30)
        XCTAssertNotEqual(result.status, 0, result.output)
        let checkpoint = try Checkpoint.resolve(run)
        XCTAssertNoThrow(try SafeTensors.read(from: checkpoint.appendingPathComponent(Checkpoint.modelFile)))
    }

    func testABatchThatDoesNotSplitOverTheRanksIsRefused() throws {
        let result = try GenStudioExecutable.run(["train", try Fixtures.tinyRecipe.path, "--set", "data.path=\(try Fixtures.mnistSmall.path)",
                                                  "--set", "train.batch=7", "--out", directory.appendingPathComponent("odd").path],
                                                 logs: directory, ranks: 2)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("train.batch = 7 does not split into equal shares over 2 ranks"), result.output)
        XCTAssertFalse(result.output.contains("Fatal error"), result.output)
    }

    /// The process ids whose parent is `parent`, from /proc.
    private func childProcesses(of parent: Int32) throws -> [Int32] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == parent
        }
    }
}
