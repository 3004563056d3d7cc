import Foundation

/// Parsed metrics.jsonl files, kept until the file changes (its size or modification time), so that
/// pages over many long runs parse each file once rather than on every request.
final class MetricsCache: @unchecked Sendable {
    /// Files kept at most; the least recently stored goes first.
    static let capacity = 256
    private struct Entry {
        var size: Int
        var modified: Date
        var rows: Result<[RunFiles.MetricsRow], any Error>
        var stored: Int
    }
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private var counter = 0

    /// The rows of the run in `files`, parsed again only when metrics.jsonl changed.
    func rows(of files: RunFiles) throws -> [RunFiles.MetricsRow] {
        let path = files.url.appendingPathComponent("metrics.jsonl").path
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let size = attributes?[.size] as? Int ?? -1, modified = attributes?[.modificationDate] as? Date ?? .distantPast
        lock.lock()
        if let entry = entries[path], entry.size == size, entry.modified == modified {
            lock.unlock()
            return try entry.rows.get()
        }
        lock.unlock()
        let rows = Result { try files.metrics() }
        lock.lock()
        counter += 1
        entries[path] = Entry(size: size, modified: modified, rows: rows, stored: counter)
        if entries.count > Self.capacity, let oldest = entries.min(by: { $0.value.stored < $1.value.stored })?.key {
            entries[oldest] = nil
        }
        lock.unlock()
        return try rows.get()
    }
}
