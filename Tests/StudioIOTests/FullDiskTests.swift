import Foundation
import XCTest
@testable import StudioIO

/// A full disk must give a clear error and keep the previous file; needs root to mount a tiny tmpfs.
final class FullDiskTests: XCTestCase {
    func testWriteOnAFullDiskKeepsThePreviousFile() throws {
        let mountPoint = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: mountPoint) }
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint.path]) == 0 else {
            throw XCTSkip("cannot mount a tmpfs here (not root?)")
        }
        defer { _ = run("/bin/umount", [mountPoint.path]) }
        let url = mountPoint.appendingPathComponent("model.safetensors")
        let small = Data(repeating: 1, count: 1000)
        try AtomicFile.write(small, to: url)
        XCTAssertThrowsError(try AtomicFile.write(Data(repeating: 2, count: 200_000), to: url)) { error in
            XCTAssertTrue("\(error)".contains("model.safetensors"), "\(error)")
            XCTAssertTrue("\(error)".contains("No space left on device"), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: url), small, "the previous file is intact")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: mountPoint.path), ["model.safetensors"],
                       "no temporary file is left behind")
    }

    private func run(_ executable: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
