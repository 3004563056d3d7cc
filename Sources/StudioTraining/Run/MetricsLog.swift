import Foundation
import StudioIO

/// Appends one row of named scalars per logged step to `metrics.jsonl` and `metrics.csv`.
public final class MetricsLog {
    /// Column names after `step`, in order.
    public let columns: [String]
    private let jsonl: FileHandle
    private let csv: FileHandle

    /// Opens the run's metric files. A new run gets fresh files with a CSV header; a resumed run
    /// (`resumingAt` its checkpoint step) first drops rows logged after that step by the interrupted
    /// session, so no step appears twice.
    public init(run: RunDirectory, columns: [String], resumingAt step: Int? = nil) throws {
        self.columns = columns
        let header = (["step"] + columns).joined(separator: ",") + "\n"
        if let step {
            try MetricsLog.truncate(run.metricsJSONL, keepingThrough: step, headerLines: 0)
            try MetricsLog.truncate(run.metricsCSV, keepingThrough: step, headerLines: 1, header: header)
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

    /// Appends `values` (one per column) for `step`.
    public func append(step: Int, _ values: [Double]) throws {
        precondition(values.count == columns.count, "MetricsLog: \(values.count) values for \(columns.count) columns")
        let fields = zip(columns, values).map { "\"\($0)\":\(MetricsLog.format($1))" }
        let line = "{\"step\":\(step)," + fields.joined(separator: ",") + "}\n"
        let row = ([String(step)] + values.map(MetricsLog.format)).joined(separator: ",") + "\n"
        try jsonl.write(contentsOf: Data(line.utf8))
        try csv.write(contentsOf: Data(row.utf8))
    }

    /// Shortest round-tripping text; JSON has no NaN or infinity, so those become null.
    static func format(_ value: Double) -> String {
        value.isFinite ? "\(value)" : "null"
    }

    /// Rewrites `url` without rows whose step is above `step`.
    static func truncate(_ url: URL, keepingThrough step: Int, headerLines: Int, header: String? = nil) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            try AtomicFile.write(Data((header ?? "").utf8), to: url)
            return
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        var kept = Array(lines.prefix(headerLines))
        for line in lines.dropFirst(headerLines) {
            if let rowStep = MetricsLog.step(of: line), rowStep <= step { kept.append(line) }
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
