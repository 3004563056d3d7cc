import Foundation

/// A problem with a file a user gave us: which file, and what is wrong, in words a user can act on.
public struct FileFormatError: Error, LocalizedError, CustomStringConvertible, Equatable {
    /// The file's path.
    public var path: String
    /// What is wrong, including the byte offset where that helps.
    public var problem: String

    public init(path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
    public var errorDescription: String? { description }
}
