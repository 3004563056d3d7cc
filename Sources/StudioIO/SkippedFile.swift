/// A data file that was found but could not be used, and why (listed in a run's `data.log`).
public struct SkippedFile: Equatable, Sendable, CustomStringConvertible {
    /// The file's path.
    public var path: String
    /// Why it was skipped (the decoder's message).
    public var reason: String

    /// A skipped file at `path` for `reason`.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// A file at `path` skipped because reading it threw `error`: a `FileFormatError` gives its
    /// problem alone (the path is already named), any other error its description.
    public init(path: String, error: Error) {
        self.init(path: path, reason: (error as? FileFormatError)?.problem ?? "\(error)")
    }

    public var description: String { "\(path): \(reason)" }
}
