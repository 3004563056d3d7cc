import Foundation

/// A walk over the chunk headers of a RIFF/WAVE file before libsndfile parses it: libsndfile 1.2
/// spends minutes on a header chunk that declares more bytes than the file holds (a 134-byte file
/// whose `INFO` chunk claims 4 GB), so such a file is refused first.
enum RIFFChunks {
    /// What is wrong with the chunk headers of the file of `length` bytes whose bytes `read(offset,
    /// count)` returns (fewer at the end), or nil when they fit or the file is not RIFF/WAVE. The
    /// `data` chunk ends the walk: streaming writers leave its size 0 or 0xFFFFFFFF, which readers accept.
    static func problem(length: Int, read: (_ offset: Int, _ count: Int) -> [UInt8]) -> String? {
        let header = read(0, 12)
        guard header.count == 12, header[8..<12].elementsEqual("WAVE".utf8) else { return nil }
        let bigEndian: Bool
        switch String(decoding: header[0..<4], as: UTF8.self) {
        case "RIFF": bigEndian = false
        case "RIFX": bigEndian = true
        default: return nil
        }
        var offset = 12
        while offset + 8 <= length {
            let chunk = read(offset, 8)
            guard chunk.count == 8 else { return nil }
            let id = String(decoding: chunk[0..<4].map { (32..<127).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
            if id == "data" { return nil }
            let sizeBytes = bigEndian ? Array(chunk[4..<8]) : chunk[4..<8].reversed()
            let size = sizeBytes.reduce(0) { $0 << 8 | Int($1) }
            let available = length - offset - 8
            if size > available {
                return "RIFF chunk '\(id)' at byte \(offset) declares \(size) bytes, but the file ends \(available) bytes later: corrupt or truncated"
            }
            offset += 8 + size + (size & 1)
        }
        return nil
    }

    /// `problem` for bytes held in memory.
    static func problem(in data: Data) -> String? {
        problem(length: data.count) { offset, count in
            let start = data.startIndex + offset
            return Array(data[start..<min(start + count, data.endIndex)])
        }
    }

    /// `problem` for the file at `url`; a file that cannot be opened is left to libsndfile to report.
    static func problem(at url: URL) -> String? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard let end = try? handle.seekToEnd() else { return nil }
        return problem(length: Int(end)) { offset, count in
            guard (try? handle.seek(toOffset: UInt64(offset))) != nil, let bytes = try? handle.read(upToCount: count) else { return [] }
            return [UInt8](bytes)
        }
    }
}
