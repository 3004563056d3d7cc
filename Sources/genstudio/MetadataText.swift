import Foundation

/// A checkpoint's JSON metadata (model config, audio settings) as `inspect` prints it: one
/// `dotted.key = value` line per setting, like the recipe's TOML, instead of one long JSON line.
enum MetadataText {
    /// The lines of `text`, each indented by two spaces; text that is no JSON object comes back as it is.
    static func lines(json text: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return "  " + text }
        return lines(object, path: "").map { "  " + $0 }.joined(separator: "\n")
    }

    /// Nested tables become dotted keys; an array of tables (a GAN's layers) one line per element.
    static func lines(_ table: [String: Any], path: String) -> [String] {
        table.keys.sorted().flatMap { key -> [String] in
            let name = path.isEmpty ? key : "\(path).\(key)"
            switch table[key]! {
            case let nested as [String: Any]:
                return lines(nested, path: name)
            case let array as [Any] where array.contains(where: { $0 is [String: Any] }):
                return array.enumerated().map { "\(name)[\($0.offset)] = \(inline($0.element))" }
            case let value:
                return ["\(name) = \(inline(value))"]
            }
        }
    }

    /// One value on one line: TOML-like inline tables and arrays, JSON scalars.
    static func inline(_ value: Any) -> String {
        switch value {
        case let table as [String: Any]:
            return "{ " + table.keys.sorted().map { "\($0) = \(inline(table[$0]!))" }.joined(separator: ", ") + " }"
        case let array as [Any]:
            return "[" + array.map(inline).joined(separator: ", ") + "]"
        default:
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .withoutEscapingSlashes])
            return data.map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
        }
    }
}
