/// A coding key for any string, to see every key a decoder holds, known or not.
public struct AnyCodingKey: CodingKey, Hashable {
    public var stringValue: String
    public var intValue: Int?

    public init(stringValue: String) { self.stringValue = stringValue }
    public init(intValue: Int) {
        stringValue = String(intValue)
        self.intValue = intValue
    }
    public init(_ string: String) { stringValue = string }
}

extension Decoder {
    /// Throws when the keyed container here holds a key outside `known`, so that a misspelt recipe
    /// key is an error instead of a silently ignored setting.
    public func rejectUnknownKeys(_ known: [String]) throws {
        let present = try container(keyedBy: AnyCodingKey.self).allKeys.map(\.stringValue)
        let knownSet = Set(known)
        for key in present.sorted() where !knownSet.contains(key) {
            throw DecodingError.dataCorrupted(.init(
                codingPath: codingPath + [AnyCodingKey(key)],
                debugDescription: "unknown key '\(key)'; expected one of: \(known.joined(separator: ", "))"))
        }
    }

    /// `rejectUnknownKeys` for a `CodingKeys` enum.
    public func rejectUnknownKeys<Key: CodingKey & CaseIterable>(_: Key.Type) throws {
        try rejectUnknownKeys(Key.allCases.map(\.stringValue))
    }
}

/// A configuration that does not describe a buildable model, with the place and the reason.
public struct ModelConfigError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
