import Foundation

/// How to type genstudio in a printed command (the resume line) so that it works as printed:
/// `genstudio` when that name on PATH is this executable (scripts/install put it there), else this
/// executable's absolute path (a `.build/release/genstudio` run before installing).
enum Invocation {
    static var command: String {
        let own = URL(fileURLWithPath: CommandLine.arguments[0], relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        let executable = Bundle.main.executableURL ?? own
        let onPath = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").lazy
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent("genstudio") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
        if let onPath, onPath.resolvingSymlinksInPath().path == executable.resolvingSymlinksInPath().path { return "genstudio" }
        return executable.standardizedFileURL.path
    }
}
