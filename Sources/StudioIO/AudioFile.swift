import CSndFile
import Foundation

/// A mono clip of Float32 samples and its sample rate, read from any format libsndfile decodes
/// (WAV, FLAC, OGG/Vorbis, AIFF, ...) and written as WAV.
public struct AudioFile: Equatable, Sendable {
    /// Mono samples, nominally in -1...1: files with several channels are mixed down by averaging.
    public var samples: [Float]
    /// Samples per second.
    public var sampleRate: Int

    /// A clip of `samples` at `sampleRate` Hz.
    public init(samples: [Float], sampleRate: Int) {
        precondition(sampleRate > 0, "AudioFile: sample rate \(sampleRate) must be positive")
        self.samples = samples
        self.sampleRate = sampleRate
    }

    /// The clip's length in seconds.
    public var duration: Double { Double(samples.count) / Double(sampleRate) }

    /// How sample values are stored in a written WAV file.
    public enum SampleFormat: String, Sendable, CaseIterable {
        /// 16-bit PCM; values outside -1...1 are clipped rather than wrapped around.
        case pcm16
        /// 32-bit IEEE float, lossless for Float32 samples (values outside -1...1 are kept).
        case float32

        var sndfileSubtype: Int32 {
            self == .pcm16 ? Int32(SF_FORMAT_PCM_16) : Int32(SF_FORMAT_FLOAT)
        }
    }

    // MARK: - Reading

    /// Reads `url` through libsndfile and mixes it down to mono; an unreadable, undecodable or
    /// empty file is a `FileFormatError` naming it.
    public static func read(from url: URL) throws -> AudioFile {
        if let problem = RIFFChunks.problem(at: url) { throw FileFormatError(path: url.path, problem) }
        var info = SF_INFO()
        guard let file = sf_open(url.path, Int32(SFM_READ), &info) else {
            let reason = String(cString: sf_strerror(nil))
            if !FileManager.default.fileExists(atPath: url.path) {
                throw FileFormatError(path: url.path, "audio file does not exist")
            }
            throw FileFormatError(path: url.path, "not a readable audio file: \(reason)")
        }
        defer { sf_close(file) }
        return try decode(file, info: info, path: url.path)
    }

    /// Decodes an encoded audio file held in memory (the bytes of a WAV or FLAC file, say);
    /// `name` stands for the file in error messages.
    public static func decode(_ data: Data, name: String = "<audio>") throws -> AudioFile {
        if let problem = RIFFChunks.problem(in: data) { throw FileFormatError(path: name, problem) }
        let buffer = MemoryAudioBuffer(data)
        var info = SF_INFO()
        var io = MemoryAudioBuffer.virtualIO
        let opaque = Unmanaged.passUnretained(buffer).toOpaque()
        guard let file = sf_open_virtual(&io, Int32(SFM_READ), &info, opaque) else {
            throw FileFormatError(path: name, "not a readable audio file: \(String(cString: sf_strerror(nil)))")
        }
        defer { sf_close(file) }
        return try withExtendedLifetime(buffer) { try decode(file, info: info, path: name) }
    }

    private static func decode(_ file: OpaquePointer, info: SF_INFO, path: String) throws -> AudioFile {
        let channels = Int(info.channels)
        guard info.samplerate > 0, channels > 0 else {
            throw FileFormatError(path: path, "header declares \(info.samplerate) Hz and \(channels) channels")
        }
        guard info.frames > 0 else { throw FileFormatError(path: path, "holds no audio frames") }
        // Some containers (OGG, streamed WAV) only estimate their length: read in blocks until EOF.
        var mono: [Float] = []
        mono.reserveCapacity(framesToReserve(declared: Int64(info.frames)))
        let blockFrames = 8192
        var block = [Float](repeating: 0, count: blockFrames * channels)
        while true {
            let got = block.withUnsafeMutableBufferPointer { sf_readf_float(file, $0.baseAddress, sf_count_t(blockFrames)) }
            if got <= 0 { break }
            if channels == 1 {
                mono.append(contentsOf: block[0..<Int(got)])
            } else {
                let scale = 1 / Float(channels)
                for frame in 0..<Int(got) {
                    var sum: Float = 0
                    for c in 0..<channels { sum += block[frame * channels + c] }
                    mono.append(sum * scale)
                }
            }
        }
        let error = sf_error(file)
        guard error == 0 else {
            throw FileFormatError(path: path, "decoding failed after \(mono.count) frames: \(String(cString: sf_error_number(error)))")
        }
        guard !mono.isEmpty else { throw FileFormatError(path: path, "holds no audio frames") }
        return AudioFile(samples: mono, sampleRate: Int(info.samplerate))
    }

    /// How many frames to reserve for a file whose header declares `declared`: the header is only a
    /// hint, and a corrupt one (a 200-byte FLAC can claim 2^36 frames) must not decide an allocation.
    static func framesToReserve(declared: Int64) -> Int {
        Int(max(0, min(declared, 1 << 20)))
    }

    // MARK: - Writing

    /// The bytes of a mono WAV file holding the clip in `format`.
    public func encodedWAV(format: SampleFormat = .pcm16) throws -> Data {
        let buffer = MemoryAudioBuffer(Data())
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = 1
        info.format = Int32(SF_FORMAT_WAV) | format.sndfileSubtype
        var io = MemoryAudioBuffer.virtualIO
        let opaque = Unmanaged.passUnretained(buffer).toOpaque()
        return try withExtendedLifetime(buffer) {
            guard let file = sf_open_virtual(&io, Int32(SFM_WRITE), &info, opaque) else {
                throw FileFormatError(path: "<wav>", "libsndfile cannot encode: \(String(cString: sf_strerror(nil)))")
            }
            // Without clipping, a sample a little over 1.0 wraps to full negative scale: a loud click.
            sf_command(file, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
            let written = samples.withUnsafeBufferPointer { sf_writef_float(file, $0.baseAddress, sf_count_t($0.count)) }
            let error = sf_error(file)
            sf_close(file)
            guard written == samples.count, error == 0 else {
                throw FileFormatError(path: "<wav>", "libsndfile wrote \(written) of \(samples.count) frames: \(String(cString: sf_error_number(error)))")
            }
            return buffer.data
        }
    }

    /// Writes the clip as a mono WAV file atomically: a reader sees the old file or the whole new
    /// one, and a path that cannot be created is a `FileFormatError` naming it. `durable: false`
    /// skips flushing to disk (see `AtomicFile.write`).
    public func writeWAV(to url: URL, format: SampleFormat = .pcm16, durable: Bool = true) throws {
        do {
            try AtomicFile.write(try encodedWAV(format: format), to: url, durable: durable)
        } catch var error as FileFormatError where error.path == "<wav>" {
            error.path = url.path
            throw error
        }
    }

    /// Seconds of silence `concatenating` puts between clips unless told otherwise.
    public static let clipSilence = 0.25

    /// Samples of `silence` seconds at `sampleRate`, as `concatenating` counts them.
    static func gapLength(silence: Double, sampleRate: Int) -> Int {
        Int((silence * Double(sampleRate)).rounded())
    }

    /// One clip holding `clips` one after another, `silence` seconds of zeros between neighbours.
    public static func concatenating(_ clips: [[Float]], sampleRate: Int, silence: Double = clipSilence) -> AudioFile {
        precondition(silence >= 0, "AudioFile.concatenating: negative silence \(silence)")
        let gap = [Float](repeating: 0, count: gapLength(silence: silence, sampleRate: sampleRate))
        var samples: [Float] = []
        samples.reserveCapacity(clips.reduce(0) { $0 + $1.count } + gap.count * max(clips.count - 1, 0))
        for (index, clip) in clips.enumerated() {
            if index > 0 { samples.append(contentsOf: gap) }
            samples.append(contentsOf: clip)
        }
        return AudioFile(samples: samples, sampleRate: sampleRate)
    }

    /// The clips of `length` samples that `concatenating` joined with `silence` seconds between them,
    /// each at this file's sample rate; nil when the file's length does not fit such clips.
    public func splittingClips(length: Int, silence: Double = clipSilence) -> [AudioFile]? {
        let gap = Self.gapLength(silence: silence, sampleRate: sampleRate)
        guard length > 0, (samples.count + gap) % (length + gap) == 0 else { return nil }
        return (0..<((samples.count + gap) / (length + gap))).map { index in
            let start = index * (length + gap)
            return AudioFile(samples: Array(samples[start..<(start + length)]), sampleRate: sampleRate)
        }
    }

    // MARK: - Formats

    /// File name extensions (lower case, no dot) of the container formats this libsndfile reads.
    public static let readableExtensions: Set<String> = {
        // libsndfile names OGG "oga" and MPEG "m1a"; the extensions people use are added by hand.
        var names: Set<String> = ["wav", "wave", "aif", "ogg", "oga", "opus", "mp3"]
        var count: Int32 = 0
        sf_command(nil, Int32(SFC_GET_FORMAT_MAJOR_COUNT), &count, Int32(MemoryLayout<Int32>.size))
        for index in 0..<count {
            var format = SF_FORMAT_INFO()
            format.format = index
            sf_command(nil, Int32(SFC_GET_FORMAT_MAJOR), &format, Int32(MemoryLayout<SF_FORMAT_INFO>.size))
            if let ext = format.extension { names.insert(String(cString: ext).lowercased()) }
        }
        // Headerless raw data cannot be opened without being told its format.
        names.remove("raw")
        return names
    }()
}

/// A growable byte buffer that libsndfile reads and writes through its virtual I/O callbacks, so
/// that encoding needs no temporary file and the atomic writer owns the only file on disk.
final class MemoryAudioBuffer {
    var data: Data
    var position = 0

    init(_ data: Data) { self.data = data }

    private static func buffer(_ user: UnsafeMutableRawPointer?) -> MemoryAudioBuffer {
        Unmanaged<MemoryAudioBuffer>.fromOpaque(user!).takeUnretainedValue()
    }

    static let virtualIO = SF_VIRTUAL_IO(
        get_filelen: { user in sf_count_t(buffer(user).data.count) },
        seek: { offset, whence, user in
            let b = buffer(user)
            let base: Int
            switch whence {
            case SEEK_CUR: base = b.position
            case SEEK_END: base = b.data.count
            default: base = 0
            }
            let target = base + Int(offset)
            guard target >= 0 else { return -1 }
            b.position = target
            return sf_count_t(target)
        },
        read: { pointer, count, user in
            let b = buffer(user)
            let available = max(0, min(Int(count), b.data.count - b.position))
            guard available > 0, let pointer else { return 0 }
            b.data.withUnsafeBytes { src in
                pointer.copyMemory(from: src.baseAddress! + b.position, byteCount: available)
            }
            b.position += available
            return sf_count_t(available)
        },
        write: { pointer, count, user in
            let b = buffer(user)
            let n = Int(count)
            guard n > 0, let pointer else { return 0 }
            let end = b.position + n
            if end > b.data.count { b.data.append(Data(count: end - b.data.count)) }
            b.data.withUnsafeMutableBytes { dst in
                (dst.baseAddress! + b.position).copyMemory(from: pointer, byteCount: n)
            }
            b.position = end
            return count
        },
        tell: { user in sf_count_t(buffer(user).position) })
}

// MARK: - Silence

extension AudioFile {
    /// The clip without its leading and trailing silence: frames of `frameLength` samples whose
    /// RMS lies more than `thresholdDecibels` below the loudest frame's are dropped from both ends.
    /// A silent clip comes back empty.
    public func trimmingSilence(thresholdDecibels: Float = 40, frameLength: Int? = nil) -> AudioFile {
        let frame = max(1, frameLength ?? sampleRate / 100)
        let frameCount = (samples.count + frame - 1) / frame
        guard frameCount > 0 else { return self }
        var energy = [Float](repeating: 0, count: frameCount)
        for f in 0..<frameCount {
            let range = f * frame..<min((f + 1) * frame, samples.count)
            energy[f] = samples[range].reduce(0) { $0 + $1 * $1 } / Float(range.count)
        }
        let loudest = energy.max()!
        guard loudest > 0 else { return AudioFile(samples: [], sampleRate: sampleRate) }
        // Compared as energies: -40 dB of amplitude is a factor 1e-4 of energy.
        let threshold = loudest * powf(10, -thresholdDecibels / 10)
        let first = energy.firstIndex { $0 >= threshold }!
        let last = energy.lastIndex { $0 >= threshold }!
        return AudioFile(samples: Array(samples[first * frame..<min((last + 1) * frame, samples.count)]), sampleRate: sampleRate)
    }
}
