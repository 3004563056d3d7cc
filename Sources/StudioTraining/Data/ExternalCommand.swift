import Foundation

/// Runs a helper program (pip, python) to completion and keeps what it printed for error messages.
struct ExternalCommand {
    let executable: String
    let arguments: [String]

    /// The exit status and the combined output of the program, found on PATH.
    func run() throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw DatasetError("cannot start \(executable): \(error.localizedDescription)")
        }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}

/// A data set that could not be obtained or read, with what to do about it.
public struct DatasetError: Error, LocalizedError, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
