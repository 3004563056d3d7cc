import ArgumentParser

/// The `--classes` value of `sample` and `augment`: one class number or several, comma-separated.
enum ClassList {
    /// The class numbers of `text` ("3" or "0,3,7"), or an error naming the flag and what was typed.
    static func parse(_ text: String) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let values = parts.map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--classes must be a class number or comma-separated class numbers like 3 or 0,3,7, got '\(text)'")
        }
        return values.map { $0! }
    }
}
