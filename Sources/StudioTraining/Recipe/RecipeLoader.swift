import Foundation
import StudioModels
import TOMLKit

/// A recipe that cannot be used: the file, the key and what was expected.
public struct RecipeError: Error, LocalizedError, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}

/// Reads TOML recipes, applies `--set key=value` overrides, and decodes them strictly.
public enum RecipeLoader {
    /// The decoded recipe and its resolved TOML text (overrides applied) for the run directory.
    public static func load(_ url: URL, overrides: [String] = []) throws -> (recipe: Recipe, resolved: String) {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw RecipeError("\(url.path): cannot read the recipe (no such file, or not UTF-8 text)")
        }
        return try parse(text, path: url.path, overrides: overrides)
    }

    /// `load` for recipe text; `path` names it in errors.
    public static func parse(_ text: String, path: String, overrides: [String] = []) throws -> (recipe: Recipe, resolved: String) {
        if let problem = TOMLPrecheck.problem(in: text) {
            throw RecipeError("\(path): not valid TOML at \(problem)")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw RecipeError("\(path): not valid TOML at line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)")
        }
        for override in overrides { try apply(override, to: table, path: path) }
        let json = table.convert(to: .json)
        let recipe: Recipe
        do {
            recipe = try JSONDecoder().decode(Recipe.self, from: Data(json.utf8))
        } catch let error as DecodingError {
            throw RecipeError("\(path): \(describe(error))")
        }
        try check(recipe, path: path)
        return (recipe, table.convert(to: .toml))
    }

    /// Throws the problems of a decoded recipe (values that decode but cannot work, a model that
    /// cannot be built), each naming `path` and the key.
    static func check(_ recipe: Recipe, path: String) throws {
        let problems = try recipe.validate()
        if !problems.isEmpty {
            throw RecipeError("\(path): " + problems.joined(separator: "\n\(path): "))
        }
        do { try recipe.model.validate() } catch let error as ModelConfigError {
            throw RecipeError("\(path): model: \(error.message)")
        }
    }

    /// Sets `section.key=value` in `table`; the value is read as TOML (`1e-4`, `true`, `"text"`,
    /// `[1, 2]`) and as a plain string when it is not valid TOML.
    static func apply(_ override: String, to table: TOMLTable, path: String) throws {
        guard let equals = override.firstIndex(of: "=") else {
            throw RecipeError("--set \(override): expected key=value, such as train.lr=1e-4")
        }
        let keyPath = override[..<equals].trimmingCharacters(in: .whitespaces).split(separator: ".").map(String.init)
        let rawValue = String(override[override.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
        guard !keyPath.isEmpty, keyPath.allSatisfy({ !$0.isEmpty }) else {
            throw RecipeError("--set \(override): the key is empty")
        }
        let value: TOMLValueConvertible
        if TOMLPrecheck.problem(in: "value = \(rawValue)") == nil,
           let parsed = try? TOMLTable(string: "value = \(rawValue)"), let v = parsed["value"] {
            value = v
        } else {
            value = rawValue
        }
        var current = table
        for component in keyPath.dropLast() {
            if let next = current[component]?.table {
                current = next
            } else if current[component] == nil {
                let created = TOMLTable()
                current[component] = created
                current = current[component]!.table!
            } else {
                throw RecipeError("--set \(override): '\(component)' in \(path) is a value, not a table")
            }
        }
        current[keyPath.last!] = value
    }

    /// A decoding error as "key.path: what was wrong".
    static func describe(_ error: DecodingError) -> String {
        func keyPath(_ path: [CodingKey]) -> String {
            path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let place = keyPath(context.codingPath + [key])
            return "missing key '\(place)'" + (context.debugDescription.hasPrefix("No value") ? "" : ": \(context.debugDescription)")
        case .typeMismatch(let type, let context):
            return "\(keyPath(context.codingPath)): wrong type, expected \(friendlyName(type))"
        case .valueNotFound(let type, let context):
            return "\(keyPath(context.codingPath)): missing value, expected \(friendlyName(type))"
        case .dataCorrupted(let context):
            return "\(keyPath(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func friendlyName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is UInt64.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is [Int].Type: "a list of integers"
        default: "\(type)"
        }
    }
}
