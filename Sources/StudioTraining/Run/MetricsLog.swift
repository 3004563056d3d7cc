import Foundation
import StudioIO

/// Appends one row of named scalars per logged step to `metrics.jsonl` and `metrics.csv`.
public final class MetricsLog {
    /// Column names after `step`, in order.
    public let columns: [String]
    private let jsonl: FileHandle
    private let csv: FileHandle
    /// The step and file offsets of the row this session appended last.
    private var last: (step: Int, jsonl: UInt64, csv: UInt64)?

    /// Opens the run's metric files. A new run gets fresh files with a CSV header; a resumed run
    /// (`resumingAt` its checkpoint step) first drops rows logged after that step by the interrupted
    /// session, so no step appears twice, and empties the `clearing` columns of that step's row
    /// (measurements its session took only because it stopped there).
    public init(run: RunDirectory, columns: [String], resumingAt step: Int? = nil, clearing: [String] = []) throws {
        self.columns = columns
        let header = (["step"] + columns).joined(separator: ",") + "\n"
        if let step {
            let cleared = Set(clearing.compactMap { columns.firstIndex(of: $0) })
            try MetricsLog.truncate(run.metricsJSONL, keepingThrough: step, headerLines: 0) { line in
                MetricsLog.clearingJSON(line, step: step, keys: clearing)
            }
            try MetricsLog.truncate(run.metricsCSV, keepingThrough: step, headerLines: 1, header: header) { line in
                MetricsLog.clearingCSV(line, step: step, fields: cleared)
            }
        } else {
            try AtomicFile.write(Data(), to: run.metricsJSONL)
            try AtomicFile.write(Data(header.utf8), to: run.metricsCSV)
        }
        jsonl = try FileHandle(forWritingTo: run.metricsJSONL)
        csv = try FileHandle(forWritingTo: run.metricsCSV)
        try jsonl.seekToEnd()
        try csv.seekToEnd()
    }

    deinit {
        try? jsonl.close()
        try? csv.close()
    }

    /// Appends `values` (one per column; nil where a metric was not measured at `step`) for `step`.
    public func append(step: Int, _ values: [Double?]) throws {
        precondition(values.count == columns.count, "MetricsLog: \(values.count) values for \(columns.count) columns")
        let fields = zip(columns, values).map { "\"\($0)\":\(MetricsLog.jsonField($1))" }
        let line = "{\"step\":\(step)," + fields.joined(separator: ",") + "}\n"
        let row = ([String(step)] + values.map(MetricsLog.csvField)).joined(separator: ",") + "\n"
        last = (step, try jsonl.offset(), try csv.offset())
        try jsonl.write(contentsOf: Data(line.utf8))
        try csv.write(contentsOf: Data(row.utf8))
    }

    /// Rewrites the row last appended by this log, which must be for `step`, with `values`: a
    /// session that stops early fills in the held-out metrics of its last step.
    public func replaceLast(step: Int, _ values: [Double?]) throws {
        guard let last, last.step == step else {
            preconditionFailure("MetricsLog: no row for step \(step) was appended by this session")
        }
        try jsonl.truncate(atOffset: last.jsonl)
        try csv.truncate(atOffset: last.csv)
        try append(step: step, values)
    }

    /// JSON has no NaN or infinity, so those, like unmeasured values, become null.
    static func jsonField(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "null" }
        return "\(value)"
    }

    /// Shortest round-tripping text. An unmeasured value is an empty field (what pandas and
    /// Python's csv module read as missing); a diverged one is `nan`, `inf` or `-inf`, which
    /// Python's `float` reads back.
    static func csvField(_ value: Double?) -> String {
        guard let value else { return "" }
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        return "\(value)"
    }

    /// `line` (a JSON row) with `keys` set to null when it is the row of `step`.
    static func clearingJSON(_ line: Substring, step: Int, keys: [String]) -> Substring {
        guard !keys.isEmpty, MetricsLog.step(of: line) == step else { return line }
        var text = String(line)
        for key in keys {
            guard let name = text.range(of: "\"\(key)\":") else { continue }
            let end = text[name.upperBound...].firstIndex { $0 == "," || $0 == "}" } ?? text.endIndex
            text.replaceSubrange(name.upperBound..<end, with: "null")
        }
        return Substring(text)
    }

    /// `line` (a CSV row) with the columns `fields` (0 is the first after `step`) emptied when it is
    /// the row of `step`.
    static func clearingCSV(_ line: Substring, step: Int, fields: Set<Int>) -> Substring {
        guard !fields.isEmpty, MetricsLog.step(of: line) == step else { return line }
        var cells = line.split(separator: ",", omittingEmptySubsequences: false)
        for field in fields where field + 1 < cells.count { cells[field + 1] = "" }
        return Substring(cells.joined(separator: ","))
    }

    /// Rewrites `url` without rows whose step is above `step`, passing each kept row through `edit`.
    static func truncate(_ url: URL, keepingThrough step: Int, headerLines: Int, header: String? = nil,
                         edit: (Substring) -> Substring = { $0 }) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            try AtomicFile.write(Data((header ?? "").utf8), to: url)
            return
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        var kept = Array(lines.prefix(headerLines))
        for line in lines.dropFirst(headerLines) {
            if let rowStep = MetricsLog.step(of: line), rowStep <= step { kept.append(edit(line)) }
        }
        let text = kept.map { $0 + "\n" }.joined()
        try AtomicFile.write(Data(text.utf8), to: url)
    }

    private static func step(of line: Substring) -> Int? {
        if line.hasPrefix("{\"step\":") {
            return Int(line.dropFirst(8).prefix { $0.isNumber })
        }
        return Int(line.prefix { $0.isNumber })
    }
}
