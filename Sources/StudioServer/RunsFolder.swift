import Foundation

/// The folder `genstudio studio` serves, and the one check every file request passes: a path
/// relative to it that stays inside it, symbolic links resolved.
public struct RunsFolder: Sendable {
    /// The folder, symbolic links resolved.
    public let root: URL

    /// The folder at `url`, which must exist.
    public init(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StudioError("\(url.path) is not a folder; --runs names the folder that holds the run directories")
        }
        root = url.resolvingSymlinksInPath().standardizedFileURL
    }

    /// The file or folder at `relative` (as a request gives it, already percent-decoded once), or nil
    /// when it is absolute, names `..`, holds a NUL or a percent sign left encoded, or leads outside
    /// the folder through a symbolic link.
    public func resolve(_ relative: String) -> URL? {
        guard !relative.hasPrefix("/"), !relative.contains("\0"), !relative.contains("%"), !relative.contains("\\") else { return nil }
        let parts = relative.split(separator: "/", omittingEmptySubsequences: true)
        guard !parts.contains(where: { $0 == ".." || $0 == "." }) else { return nil }
        let url = parts.reduce(root) { $0.appendingPathComponent(String($1)) }
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let real = url.resolvingSymlinksInPath().standardizedFileURL.path
        guard real == root.path || real.hasPrefix(root.path + "/") else { return nil }
        return url
    }

    /// `url`'s path relative to the folder ("" for the folder itself).
    public func relativePath(of url: URL) -> String {
        let path = url.standardizedFileURL.path
        guard path.hasPrefix(root.path) else { return path }
        return String(path.dropFirst(root.path.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
    }
}

/// An error of the studio with its message.
public struct StudioError: Error, CustomStringConvertible, LocalizedError {
    /// The message.
    public let description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}
