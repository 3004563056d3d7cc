import Foundation

/// A walk over a PNG file's chunk headers before libpng reads it: libpng allocates a chunk's declared
/// length before reading it, so a 44-byte file whose `iTXt` chunk claims 1 GB cost 1 GB and seconds
/// before its error. A chunk longer than the rest of the file is refused first.
enum PNGChunks {
    private static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// What is wrong with the chunk lengths of the PNG at `url`, or nil when they fit (or the file is
    /// not a PNG, or cannot be opened: libpng reports those).
    static func problem(at url: URL) -> String? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard let end = try? handle.seekToEnd(), (try? handle.seek(toOffset: 0)) != nil,
              let head = try? handle.read(upToCount: 8), [UInt8](head) == signature else { return nil }
        let length = Int(end)
        var offset = 8
        while offset + 8 <= length {
            guard (try? handle.seek(toOffset: UInt64(offset))) != nil, let raw = try? handle.read(upToCount: 8), raw.count == 8 else { return nil }
            let bytes = [UInt8](raw)
            let size = bytes[0..<4].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: bytes[4..<8].map { (32..<127).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
            // IEND ends the walk before its length is checked: libpng reads nothing for it.
            if type == "IEND" { return nil }
            let available = length - offset - 12
            if size > available {
                return "PNG chunk '\(type)' at byte \(offset) declares \(size) bytes, but only \(max(0, available)) follow it (before its CRC): corrupt or truncated"
            }
            offset += 12 + size
        }
        return nil
    }
}
