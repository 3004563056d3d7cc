import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes whole files so that a reader sees either the old file or the complete new one, never half:
/// the bytes go to a temporary file beside the target, are flushed to disk, then renamed over it.
public enum AtomicFile {
    /// Writes `data` to `url` atomically; on any failure (a full disk, say) the temporary file is
    /// removed, the previous file stays as it was, and the error names the path and the cause.
    /// `durable: false` skips the flushes to disk (still never half a file to a reader), for the
    /// many small files of a generated data set whose manifest is the one durable mark of completion.
    public static func write(_ data: Data, to url: URL, durable: Bool = true) throws {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw failure(url, "cannot create a file in \(directory.path)") }
        var ok = false
        defer {
            if !ok { unlink(temporary.path) }
        }
        do {
            try data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw failure(url, "cannot write")
                    }
                    offset += written
                }
            }
            guard !durable || fsync(fd) == 0 else { throw failure(url, "cannot flush to disk") }
        } catch {
            close(fd)
            throw error
        }
        guard close(fd) == 0 else { throw failure(url, "cannot close") }
        guard rename(temporary.path, url.path) == 0 else { throw failure(url, "cannot move into place") }
        ok = true
        if durable { syncDirectory(directory) }
    }

    /// Makes a completed rename durable; failure here loses nothing already written, so it is ignored.
    public static func syncDirectory(_ directory: URL) {
        let dfd = open(directory.path, O_RDONLY)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }

    static func failure(_ url: URL, _ what: String) -> FileFormatError {
        FileFormatError(path: url.path, "\(what): \(String(cString: strerror(errno)))")
    }
}
