import Foundation

/// Building pages as text: escaping and the shared frame of every page.
enum HTML {
    /// `text` safe inside an element or a quoted attribute.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// `text` as a query-parameter value.
    static func query(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// The JSON of every page and API answer: sorted keys, paths with plain slashes.
    static func jsonData<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    /// `value` as JSON for a `<script type="application/json">` block (no `</` inside).
    static func json<T: Encodable>(_ value: T) -> String {
        let data = (try? jsonData(value)) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "</", with: "<\\/")
    }

    /// A whole page: `title`, the navigation bar and `body`.
    static func page(_ title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title)) · genstudio studio</title><link rel="stylesheet" href="/static/app.css"></head>
        <body><nav><a class="brand" href="/">genstudio studio</a><a href="/">Runs</a><a href="/evaluations">Evaluations and augmentation</a></nav>
        <main><h1>\(escape(title))</h1>
        \(body)
        </main><script src="/static/app.js"></script></body></html>
        """
    }

    /// A number as the pages show it: 4 significant digits.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        return String(format: abs(value) >= 1e5 || (abs(value) < 1e-3 && value != 0) ? "%.3e" : "%.4g", value)
    }

    /// Bytes as KB, MB or GB.
    static func size(_ bytes: Int) -> String {
        let units = ["B", "KB", "MB", "GB"]
        var value = Double(bytes), unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
