import Foundation

/// Appends scalars, images and audio to a TensorBoard event file (`events.out.tfevents.*`): TFRecord
/// framing (length, masked CRC-32C, payload, masked CRC-32C) around hand-encoded `Event` protobufs.
public final class TensorBoardWriter {
    /// The event file being written.
    public let url: URL
    private let handle: FileHandle

    /// Creates `events.out.tfevents.<time>.<host>` in `directory` (suffixed `.2`, `.3`, ... when that
    /// name is taken, so a session resumed within the same second never truncates the previous one's
    /// events) and writes the file-version event.
    public init(directory: URL, wallTime: Double = Date().timeIntervalSince1970) throws {
        let host = ProcessInfo.processInfo.hostName
        let base = directory.appendingPathComponent("events.out.tfevents.\(Int(wallTime)).\(host)").path
        var path = base
        var suffix = 2
        var fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        while fd < 0 && errno == EEXIST {
            path = base + ".\(suffix)"
            suffix += 1
            fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        }
        url = URL(fileURLWithPath: path)
        guard fd >= 0 else {
            throw FileFormatError(path: path, "cannot create the TensorBoard event file: \(String(cString: strerror(errno)))")
        }
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.int64(2, 0)
        event.string(3, "brain.Event:2")
        try append(record: event.bytes)
    }

    /// Reopens an existing event file for appending (a resumed run keeps one file).
    public init(appendingTo url: URL) throws {
        self.url = url
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
    }

    deinit { try? handle.close() }

    /// Records scalar `value` under `tag` at `step`.
    public func addScalar(_ tag: String, _ value: Float, step: Int, wallTime: Double = Date().timeIntervalSince1970) throws {
        var summaryValue = ProtobufWriter()
        summaryValue.string(1, tag)
        summaryValue.float(2, value)
        try addSummary(summaryValue, step: step, wallTime: wallTime)
    }

    /// Records a PNG image (already encoded) under `tag` at `step`.
    public func addImage(_ tag: String, png: Data, width: Int, height: Int, channels: Int, step: Int,
                         wallTime: Double = Date().timeIntervalSince1970) throws {
        var image = ProtobufWriter()
        image.int64(1, Int64(height))
        image.int64(2, Int64(width))
        image.int64(3, Int64(channels))
        image.bytes(4, png)
        var summaryValue = ProtobufWriter()
        summaryValue.string(1, tag)
        summaryValue.message(4, image)
        try addSummary(summaryValue, step: step, wallTime: wallTime)
    }

    /// Records a WAV clip (already encoded) under `tag` at `step`.
    public func addAudio(_ tag: String, wav: Data, sampleRate: Float, channels: Int, frames: Int, step: Int,
                         wallTime: Double = Date().timeIntervalSince1970) throws {
        var audio = ProtobufWriter()
        audio.float(1, sampleRate)
        audio.int64(2, Int64(channels))
        audio.int64(3, Int64(frames))
        audio.bytes(4, wav)
        audio.string(5, "audio/wav")
        var summaryValue = ProtobufWriter()
        summaryValue.string(1, tag)
        summaryValue.message(6, audio)
        try addSummary(summaryValue, step: step, wallTime: wallTime)
    }

    /// Marks a restart whose first new event is at `step`: TensorBoard then drops the events at
    /// `step` and later from earlier files, which a killed session may have logged past its last
    /// checkpoint, instead of showing those steps twice.
    public func addSessionStart(step: Int, wallTime: Double = Date().timeIntervalSince1970) throws {
        var sessionLog = ProtobufWriter()
        sessionLog.int64(1, 1)  // SessionLog.START
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.int64(2, Int64(step))
        event.message(7, sessionLog)
        try append(record: event.bytes)
    }

    /// Forces written events to disk.
    public func flush() throws { try handle.synchronize() }

    func addSummary(_ value: ProtobufWriter, step: Int, wallTime: Double) throws {
        var summary = ProtobufWriter()
        summary.message(1, value)
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.int64(2, Int64(step))
        event.message(5, summary)
        try append(record: event.bytes)
    }

    private func append(record payload: Data) throws {
        var frame = Data()
        let length = UInt64(payload.count).littleEndian
        let lengthBytes = withUnsafeBytes(of: length) { Data($0) }
        frame.append(lengthBytes)
        withUnsafeBytes(of: CRC32C.masked(lengthBytes).littleEndian) { frame.append(contentsOf: $0) }
        frame.append(payload)
        withUnsafeBytes(of: CRC32C.masked(payload).littleEndian) { frame.append(contentsOf: $0) }
        do {
            try handle.write(contentsOf: frame)
        } catch {
            throw FileFormatError(path: url.path, "cannot append an event: \(error.localizedDescription)")
        }
    }
}

/// The Castagnoli CRC that TFRecord framing uses, with TensorFlow's masking.
enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { i in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0x82F6_3B78 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    static func masked(_ data: Data) -> UInt32 {
        let crc = checksum(data)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}

/// The few protobuf wire types an `Event` needs.
struct ProtobufWriter {
    private(set) var bytes = Data()

    private mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func key(_ field: Int, _ wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

    mutating func int64(_ field: Int, _ value: Int64) {
        key(field, 0)
        varint(UInt64(bitPattern: value))
    }

    mutating func double(_ field: Int, _ value: Double) {
        key(field, 1)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, 5)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func bytes(_ field: Int, _ value: Data) {
        key(field, 2)
        varint(UInt64(value.count))
        bytes.append(value)
    }

    mutating func string(_ field: Int, _ value: String) { bytes(field, Data(value.utf8)) }

    mutating func message(_ field: Int, _ value: ProtobufWriter) { bytes(field, value.bytes) }
}
