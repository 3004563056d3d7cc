/// Refuses the malformed TOML that the toml++ parser inside TOMLKit 0.6.0 (toml++ 3.4.0) aborts on
/// instead of reporting: its assertions are compiled in, so `[` alone on a line or `a = [}` ended the
/// process (found by the recipe fuzzer, docs/fuzzing.md). The scan knows strings, comments and
/// brackets, nothing more; everything else is left to the parser's own errors.
enum TOMLPrecheck {
    /// The first input toml++ would abort on, as "line L, column C: what is wrong", or nil.
    static func problem(in text: String) -> String? {
        let bytes = Array(text.utf8)
        var containers: [UInt8] = []  // the open `[` (arrays) and `{` (inline tables), innermost last
        var line = 1, lineStart = 0
        var atLineStart = true
        var i = 0
        func at(_ index: Int) -> UInt8? { index < bytes.count ? bytes[index] : nil }
        func place(_ index: Int) -> String { "line \(line), column \(index - lineStart + 1)" }
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "\n"):
                line += 1
                lineStart = i + 1
                atLineStart = true
                i += 1
                continue
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                i += 1
                continue
            case UInt8(ascii: "#"):
                while let next = at(i), next != UInt8(ascii: "\n") { i += 1 }
                continue
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                i = endOfString(bytes, from: i, counting: &line, lineStart: &lineStart)
            case UInt8(ascii: "[") where atLineStart && containers.isEmpty:
                var j = i + 1
                if at(j) == UInt8(ascii: "[") { j += 1 }
                while at(j) == UInt8(ascii: " ") || at(j) == UInt8(ascii: "\t") { j += 1 }
                if !startsTableName(at(j)) {
                    return "\(place(i)): a table header needs a name (letters, digits, '_', '-' or a quoted name) after '['"
                }
                i = j
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                containers.append(c)
                i += 1
            case UInt8(ascii: "]"):
                if containers.last == UInt8(ascii: "[") { containers.removeLast() }
                i += 1
            case UInt8(ascii: "}"):
                if containers.last == UInt8(ascii: "[") {
                    return "\(place(i)): '}' inside an array, where a value or ']' was expected"
                }
                if containers.last == UInt8(ascii: "{") { containers.removeLast() }
                i += 1
            default:
                i += 1
            }
            atLineStart = false
        }
        return nil
    }

    /// Whether `byte` can begin a table name: a bare-key character, a quote, or the `]` of an empty
    /// header (which toml++ reports itself).
    private static func startsTableName(_ byte: UInt8?) -> Bool {
        guard let byte else { return false }
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "]"):
            return true
        default:
            return false
        }
    }

    /// The index just past the string starting at `start` (basic or literal, single- or multi-line),
    /// or the end of the line or text where an unterminated one stops; newlines inside are counted.
    private static func endOfString(_ bytes: [UInt8], from start: Int, counting line: inout Int, lineStart: inout Int) -> Int {
        let quote = bytes[start]
        let escapes = quote == UInt8(ascii: "\"")
        let multiline = start + 2 < bytes.count && bytes[start + 1] == quote && bytes[start + 2] == quote
        var i = start + (multiline ? 3 : 1)
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\n") {
                if !multiline { return i }
                line += 1
                lineStart = i + 1
            } else if escapes && c == UInt8(ascii: "\\") {
                i += 1
            } else if c == quote {
                if !multiline { return i + 1 }
                if i + 2 < bytes.count, bytes[i + 1] == quote, bytes[i + 2] == quote {
                    var end = i + 3
                    // Up to two more quotes belong to the content: `""""` ends with one.
                    while end < bytes.count, bytes[end] == quote, end < i + 5 { end += 1 }
                    return end
                }
            }
            i += 1
        }
        return i
    }
}
