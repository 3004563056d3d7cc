import Foundation
import XCTest

/// `scripts/install`: genstudio on PATH under a prefix, with the completions ArgumentParser
/// generates where bash, zsh and fish look for them. The release build it starts with is left out
/// (`--binary` installs the executable the test build made).
final class InstallScriptTests: XCTestCase {
    private func script(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try bash([root.appendingPathComponent("scripts/install").path] + arguments, environment: environment)
    }

    func testInstallsTheBinaryAndTheCompletionsUnderThePrefix() throws {
        let prefix = try makeTemporaryDirectory().appendingPathComponent("prefix")
        defer { try? FileManager.default.removeItem(at: prefix.deletingLastPathComponent()) }
        let result = try script(["--binary", try GenStudioExecutable.url().path, prefix.path], environment: ["PATH": "/usr/bin:/bin"])
        assertSuccess(result)
        XCTAssertTrue(result.stdout.contains("installed genstudio "), result.stdout)
        XCTAssertTrue(result.stdout.contains("\(prefix.path)/bin is not on PATH"), result.stdout)

        let binary = prefix.appendingPathComponent("bin/genstudio")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: binary.path))
        let version = Process()
        version.executableURL = binary
        version.arguments = ["--version"]
        let pipe = Pipe()
        version.standardOutput = pipe
        try version.run()
        version.waitUntilExit()
        XCTAssertTrue(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).hasPrefix("genstudio "))

        for (path, shell) in [("share/bash-completion/completions/genstudio", "bash"), ("share/zsh/site-functions/_genstudio", "zsh"),
                              ("share/fish/vendor_completions.d/genstudio.fish", "fish")] {
            let text = try String(contentsOf: prefix.appendingPathComponent(path), encoding: .utf8)
            for word in ["train", "sample", "augment", "denoising-steps"] {
                XCTAssertTrue(text.contains(word), "\(shell) completion knows \(word)")
            }
        }
        let syntax = Process()
        syntax.executableURL = URL(fileURLWithPath: "/bin/bash")
        syntax.arguments = ["-n", prefix.appendingPathComponent("share/bash-completion/completions/genstudio").path]
        try syntax.run()
        syntax.waitUntilExit()
        XCTAssertEqual(syntax.terminationStatus, 0, "the bash completion parses")

        // Installed on PATH, the resume line a stopped run prints works as printed.
        let run = prefix.deletingLastPathComponent().appendingPathComponent("run")
        let shell = "genstudio train \(try Fixtures.tinyRecipe.path) --data \(try Fixtures.mnistSmall.path) --threads 1 --max-steps 1 --out \(run.path)"
        let trained = try bash(shell, path: prefix.appendingPathComponent("bin").path + ":/usr/bin:/bin")
        assertSuccess(trained)
        let resume = try XCTUnwrap(trained.stdout.components(separatedBy: "continue with: ").last?.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(resume, "genstudio train --resume \(run.path)")
        let resumed = try bash(resume + " --max-steps 2", path: prefix.appendingPathComponent("bin").path + ":/usr/bin:/bin")
        assertSuccess(resumed)
        XCTAssertTrue(resumed.stdout.contains("resuming \(run.path) at step 1"), resumed.stdout)
    }

    func testRefusesWhatItCannotInstall() throws {
        let scratch = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let missing = scratch.appendingPathComponent("no-genstudio")
        let result = try script(["--binary", missing.path, scratch.appendingPathComponent("prefix").path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("\(missing.path) is not an executable genstudio"), result.stderr)
        let usage = try script(["a", "b"])
        XCTAssertNotEqual(usage.status, 0)
        XCTAssertTrue(usage.stderr.contains("usage: scripts/install [--binary FILE] [PREFIX]"), usage.stderr)
    }

    /// `command` run by bash with `PATH` set to `path`.
    private func bash(_ command: String, path: String) throws -> ProcessResult {
        try bash(["-c", command], environment: ["PATH": path, "GENSTUDIO_BLAS_CORE": "inherit"])
    }

    /// `bash arguments` in this environment with `environment`'s changes.
    private func bash(_ arguments: [String], environment: [String: String]) throws -> ProcessResult {
        let logs = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: logs) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = logs.appendingPathComponent("out"), err = logs.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        return GenStudioExecutable.wait(process, stdout: out, stderr: err)
    }
}
