import Foundation
import StudioCore
import StudioIO
import XCTest
@testable import StudioTraining

/// Issue 3's "resume that loses nothing": 2N steps straight and N steps then resume to 2N give the
/// same bytes, in the library, after SIGKILL at an arbitrary moment, and after SIGINT.
final class ResumeTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    private func latestCheckpoint(_ run: URL) throws -> URL {
        try Checkpoint.resolve(run)
    }

    /// Asserts that two runs ended with the same weights, optimizer state, position and metrics.
    private func assertSameEnd(_ a: URL, _ b: URL, step: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let ca = try latestCheckpoint(a), cb = try latestCheckpoint(b)
        XCTAssertEqual(ca.lastPathComponent, Checkpoint.name(step: step), file: file, line: line)
        XCTAssertEqual(cb.lastPathComponent, Checkpoint.name(step: step), file: file, line: line)
        for name in [Checkpoint.modelFile, Checkpoint.optimizerFile] {
            let bytesA = try contents(of: ca.appendingPathComponent(name))
            let bytesB = try contents(of: cb.appendingPathComponent(name))
            XCTAssertTrue(bytesA == bytesB, "\(name) differs between \(a.lastPathComponent) and \(b.lastPathComponent)",
                          file: file, line: line)
        }
        var stateA = try Checkpoint.readState(ca), stateB = try Checkpoint.readState(cb)
        stateA.elapsedSeconds = 0
        stateB.elapsedSeconds = 0
        XCTAssertEqual(stateA, stateB, file: file, line: line)
        XCTAssertEqual(stateA.step, step, file: file, line: line)
        let metricsA = try contents(of: RunDirectory(url: a).metricsJSONL)
        let metricsB = try contents(of: RunDirectory(url: b).metricsJSONL)
        XCTAssertEqual(String(decoding: metricsA, as: UTF8.self), String(decoding: metricsB, as: UTF8.self),
                       "metrics.jsonl differs", file: file, line: line)
        let csvB = String(decoding: try contents(of: RunDirectory(url: b).metricsCSV), as: UTF8.self)
        XCTAssertEqual(csvB.split(separator: "\n").count, step + 1, "metrics.csv: a header and one row per step",
                       file: file, line: line)
    }

    // MARK: - Library

    func testResumedRunMatchesStraightRunByteForByte() throws {
        // 40 batches per epoch: the resume point (22) is mid-epoch and the second half crosses an epoch.
        let overrides = [try Fixtures.dataOverride, "train.steps=44", "checkpoint.interval=10", "checkpoint.keep=2"]
        let straightURL = scratch.appendingPathComponent("straight")
        let straight = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: overrides,
                                             outputs: scratch, runDirectory: straightURL)
        XCTAssertEqual(try straight.run(), .finished)
        XCTAssertEqual(straight.step, 44)

        let splitURL = scratch.appendingPathComponent("split")
        let first = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: overrides,
                                          outputs: scratch, runDirectory: splitURL)
        XCTAssertEqual(try first.run(maxSteps: 22), .stepLimit)
        XCTAssertEqual(try Checkpoint.readState(try latestCheckpoint(splitURL)).step, 22)
        // What an interrupted session leaves behind: rows logged after its last checkpoint.
        let run = RunDirectory(url: splitURL)
        let stale = (23...25).map { "{\"step\":\($0),\"loss_d\":9,\"loss_g\":9,\"d_real\":9,\"d_fake\":9}\n" }.joined()
        let handle = try FileHandle(forWritingTo: run.metricsJSONL)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(stale.utf8))
        try handle.close()

        // ... and a half-written checkpoint directory, which the next checkpoint clears away.
        let staging = run.checkpoints.appendingPathComponent(".step-000023.tmp")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
        try Data("half".utf8).write(to: staging.appendingPathComponent(Checkpoint.modelFile))

        let resumed = try TrainingJob.resume(splitURL)
        XCTAssertEqual(resumed.step, 22)
        XCTAssertEqual(try resumed.run(), .finished)
        XCTAssertEqual(resumed.step, 44)
        try assertSameEnd(straightURL, splitURL, step: 44)

        let steps = String(decoding: try contents(of: run.metricsJSONL), as: UTF8.self).split(separator: "\n")
            .map { Int($0.dropFirst(8).prefix { $0.isNumber })! }
        XCTAssertEqual(steps, Array(1...44), "each step logged once, in order")
        // Both sessions keep their TensorBoard events, even when started within the same second.
        let eventFiles = listing(splitURL).filter { $0.hasPrefix("events.out.tfevents.") }
        XCTAssertEqual(eventFiles.count, 2)
        // The second starts with SessionLog START at step 23, so TensorBoard drops the stale steps.
        let start = Data([0x10, 23, 0x3A, 0x02, 0x08, 0x01])
        let second = try XCTUnwrap(eventFiles.map { try contents(of: splitURL.appendingPathComponent($0)) }
            .first { $0.range(of: start) != nil }, "no session-start event at step 23")
        XCTAssertNotNil(second.range(of: Data("loss_d".utf8)))
        XCTAssertEqual(listing(run.checkpoints), ["latest", "step-000040", "step-000044"],
                       "checkpoint.keep = 2 prunes older checkpoints; no staging directory is left")

        // Resuming a finished run trains nothing and leaves its last checkpoint untouched.
        let state = try contents(of: try latestCheckpoint(splitURL).appendingPathComponent(Checkpoint.stateFile))
        XCTAssertEqual(try TrainingJob.resume(splitURL).run(), .finished)
        XCTAssertEqual(try contents(of: try latestCheckpoint(splitURL).appendingPathComponent(Checkpoint.stateFile)), state)
    }

    func testResumeRejectsACheckpointThatDoesNotFitTheRecipe() throws {
        let runURL = scratch.appendingPathComponent("run")
        let session = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: [try Fixtures.dataOverride, "train.steps=2"],
                                            outputs: scratch, runDirectory: runURL)
        _ = try session.run()
        let run = RunDirectory(url: runURL)
        let recipe = String(decoding: try contents(of: run.recipe), as: UTF8.self)
        // Four channels become six wherever they appear: a valid recipe, but not these weights.
        let edited = recipe.replacingOccurrences(of: "out = 4,", with: "out = 6,")
            .replacingOccurrences(of: "in = 4,", with: "in = 6,").replacingOccurrences(of: "features = 4,", with: "features = 6,")
        XCTAssertNotEqual(edited, recipe)
        try Data(edited.utf8).write(to: run.recipe)
        XCTAssertThrowsError(try TrainingJob.resume(runURL)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("step-000002"), message)
            XCTAssertTrue(message.contains("does not fit the run's recipe"), message)
            XCTAssertTrue(message.contains("shape mismatch for generator.4.weight: module has [8, 6, 4, 4]"), message)
            XCTAssertTrue(message.contains("shape mismatch for discriminator.3.weight"), message)
        }
    }

    // MARK: - The genstudio process

    private func trainArguments(out: URL) throws -> [String] {
        ["train", try Fixtures.tinyRecipe.path, "--set", try Fixtures.dataOverride, "--set", "train.steps=1000",
         "--set", "checkpoint.interval=3", "--set", "checkpoint.keep=0", "--out", out.path]
    }

    /// Polls until `run` has a `latest` checkpoint, or fails after `timeout` seconds.
    private func waitForFirstCheckpoint(_ run: URL, process: Process, timeout: TimeInterval = 60) -> Bool {
        let latest = run.appendingPathComponent("checkpoints/latest/\(Checkpoint.stateFile)")
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline && process.isRunning {
            if FileManager.default.fileExists(atPath: latest.path) { return true }
            usleep(1_000)
        }
        return false
    }

    func testRunKilledWithSIGKILLResumesToTheSameBytes() throws {
        let target = 45
        let straightURL = scratch.appendingPathComponent("straight")
        let straight = try GenStudioExecutable.run(try trainArguments(out: straightURL) + ["--max-steps", "\(target)"], logs: scratch)
        assertSuccess(straight)

        let killedURL = scratch.appendingPathComponent("killed")
        let (process, out, err) = try GenStudioExecutable.launch(try trainArguments(out: killedURL), logs: scratch)
        XCTAssertTrue(waitForFirstCheckpoint(killedURL, process: process), "no checkpoint appeared")
        // An arbitrary moment: during a step, a metrics append or the next checkpoint.
        usleep(UInt32.random(in: 0...40_000))
        kill(process.processIdentifier, SIGKILL)
        let killed = GenStudioExecutable.wait(process, stdout: out, stderr: err)
        XCTAssertEqual(killed.reason, .uncaughtSignal, "the run finished before it could be killed")
        XCTAssertEqual(killed.status, SIGKILL)
        let killedAt = try Checkpoint.readState(try latestCheckpoint(killedURL)).step
        XCTAssertLessThan(killedAt, target, "killed too late to test resuming")

        let resumed = try GenStudioExecutable.run(["train", "--resume", killedURL.path, "--max-steps", "\(target)"], logs: scratch)
        assertSuccess(resumed)
        XCTAssertTrue(resumed.stdout.contains("resuming \(killedURL.path) at step \(killedAt)"), resumed.stdout)
        try assertSameEnd(straightURL, killedURL, step: target)
    }

    func testSIGINTAndSIGTERMWriteACheckpointAndPrintTheResumeCommand() throws {
        try stop(with: SIGINT)
        try stop(with: SIGTERM)
    }

    /// How the resume line names the test's genstudio, which is not on PATH: its absolute path.
    private static var invocation: String { get throws { try GenStudioExecutable.url().resolvingSymlinksInPath().path } }

    private func stop(with signalNumber: Int32) throws {
        let runURL = scratch.appendingPathComponent("run-\(signalNumber)")
        let (process, out, err) = try GenStudioExecutable.launch(try trainArguments(out: runURL), logs: scratch)
        XCTAssertTrue(waitForFirstCheckpoint(runURL, process: process), "no checkpoint appeared")
        kill(process.processIdentifier, signalNumber)
        let result = GenStudioExecutable.wait(process, stdout: out, stderr: err, timeout: 30)
        assertSuccess(result)
        let state = try Checkpoint.readState(try latestCheckpoint(runURL))
        XCTAssertLessThan(state.step, 1000)
        XCTAssertTrue(result.stdout.contains("stopped at step \(state.step); continue with: \(try Self.invocation) train --resume \(runURL.path)"),
                      result.stdout)
        XCTAssertTrue(result.stdout.contains("checkpoint at step \(state.step)"), result.stdout)
        let rows = String(decoding: try contents(of: RunDirectory(url: runURL).metricsJSONL), as: UTF8.self)
            .split(separator: "\n")
        XCTAssertEqual(rows.count, state.step, "every finished step is logged, none past the checkpoint")
    }
}
