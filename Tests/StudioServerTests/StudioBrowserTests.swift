import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest
@testable import StudioServer

/// The studio in a real headless browser (Debian's chromium and chromium-driver, driven by
/// `scripts/studio-browser-check`): the runs page, a run's charts and grid slider, a sample job from a
/// checkpoint, an audio run's players, compare and evaluations, each page's screenshot kept in
/// `$STUDIO_SCREENSHOTS` (or a temporary folder); then 200 concurrent requests with a sample job
/// running, with the server's memory checked.
final class StudioBrowserTests: XCTestCase {
    func testPagesWorkInABrowserAndTheServerHoldsUnderLoad() async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/studio-browser-check")
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/bin/python3"] where !FileManager.default.fileExists(atPath: tool) {
            throw XCTSkip("\(tool) is missing; scripts/install-deps installs chromium and chromium-driver")
        }
        let shots = ProcessInfo.processInfo.environment["STUDIO_SCREENSHOTS"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("studio-screenshots-\(UUID().uuidString)")
        let server = try StudioServer(runs: try StudioFixture.runsFolder())
        let app = Application(router: server.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let before = Self.residentMegabytes()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = [script.path, "http://127.0.0.1:\(port)", shots.path]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            // Reading on another thread: the script's output must not fill the pipe while the server answers it.
            let text = Task.detached { String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
            let deadline = Date().addingTimeInterval(300)
            while process.isRunning && Date() < deadline { try await Task.sleep(nanoseconds: 100_000_000) }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            let log = await text.value
            XCTAssertEqual(process.terminationStatus, 0, log)
            XCTAssertTrue(log.contains("load: 200 concurrent requests"), log)
            for page in ["runs", "run", "sample", "audio", "compare", "evaluations"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: shots.appendingPathComponent("\(page).png").path), "no \(page).png")
            }
            let growth = Self.residentMegabytes() - before
            XCTAssertLessThan(growth, 400, "the server grew by \(growth) MB serving the browser and the load")
            // The load's sample job must end here: left running past the last test, it would still be
            // multiplying on the compute threads while the process exits and OpenBLAS frees its buffers.
            let end = Date().addingTimeInterval(120)
            while server.queue.activeJobs > 0 && Date() < end { try await Task.sleep(nanoseconds: 50_000_000) }
            XCTAssertEqual(server.queue.activeJobs, 0, "the sample job under load did not end within two minutes")
        }
    }

    /// This process's resident memory (the server runs in it), from /proc.
    private static func residentMegabytes() -> Double {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Double(line.split(separator: " ").dropFirst().first ?? "0").map { $0 / 1024 } ?? 0
    }
}
