import Foundation
import StudioIO

extension Recipe {
    /// Every scalar setting of the recipe, defaults included, under its dotted key (`train.lr`,
    /// `model.family`), for TensorBoard's HParams dashboard. Lists of numbers or words become their
    /// text; the layer lists of an architecture are left out (they compare as whole recipes, not
    /// as columns).
    public func hyperparameters() throws -> [String: HyperparameterValue] {
        let tree = try JSONDecoder().decode(SettingsTree.self, from: JSONEncoder().encode(self))
        var values: [String: HyperparameterValue] = [:]
        tree.flatten(prefix: "", into: &values)
        return values
    }
}

/// A recipe's encoded settings, read back with their types (JSON numbers, words, flags) intact.
private indirect enum SettingsTree: Decodable {
    case number(Double)
    case string(String)
    case bool(Bool)
    case list([SettingsTree])
    case table([String: SettingsTree])
    case null

    init(from decoder: Decoder) throws {
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let flag = try? single.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? single.decode(Double.self) {
            self = .number(number)
        } else if let text = try? single.decode(String.self) {
            self = .string(text)
        } else if let list = try? single.decode([SettingsTree].self) {
            self = .list(list)
        } else {
            self = .table(try single.decode([String: SettingsTree].self))
        }
    }

    /// The list's text when every element is a number, word or flag; nil otherwise.
    private var scalarText: String? {
        switch self {
        case .number(let number): number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .string(let text): text
        case .bool(let flag): String(flag)
        case .list, .table, .null: nil
        }
    }

    func flatten(prefix: String, into values: inout [String: HyperparameterValue]) {
        switch self {
        case .number(let number): values[prefix] = .number(number)
        case .string(let text): values[prefix] = .string(text)
        case .bool(let flag): values[prefix] = .bool(flag)
        case .null: break
        case .list(let items):
            let texts = items.compactMap(\.scalarText)
            if texts.count == items.count { values[prefix] = .string("[" + texts.joined(separator: ", ") + "]") }
        case .table(let table):
            for (key, value) in table { value.flatten(prefix: prefix.isEmpty ? key : prefix + "." + key, into: &values) }
        }
    }
}
