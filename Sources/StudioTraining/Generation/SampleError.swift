import Foundation

/// A sampling request that cannot be met, in the user's terms.
public struct SampleError: Error, LocalizedError, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
