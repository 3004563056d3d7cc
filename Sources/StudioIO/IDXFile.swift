import Foundation
import StudioCore

/// An IDX array (the MNIST file format), raw or gzip-compressed: a 4-byte magic (two zero bytes,
/// an element type, a dimension count), big-endian 32-bit dimensions, then big-endian values.
public struct IDXFile: Equatable {
    /// The element types the format defines, by their type byte.
    public enum ElementType: UInt8, Sendable {
        case uint8 = 0x08, int8 = 0x09, int16 = 0x0B, int32 = 0x0C, float32 = 0x0D, float64 = 0x0E

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .uint8, .int8: 1
            case .int16: 2
            case .int32, .float32: 4
            case .float64: 8
            }
        }
    }

    /// How the values are stored in the file.
    public var elementType: ElementType
    /// The array's dimensions, outermost first (`[60000, 28, 28]` for MNIST training images).
    public var shape: Shape
    /// The values in row-major order, converted to Float.
    public var values: [Float]

    /// An array of `shape` holding `values`, to be stored as `elementType`.
    public init(elementType: ElementType, shape: Shape, values: [Float]) {
        precondition(shape.elementCount == values.count, "IDXFile: \(values.count) values for shape \(shape)")
        self.elementType = elementType
        self.shape = shape
        self.values = values
    }

    /// Reads and validates an IDX file, inflating it first when it is gzip-compressed.
    public static func read(from url: URL) throws -> IDXFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw FileFormatError(path: url.path, "no such file")
        }
        let raw: Data
        do { raw = try Data(contentsOf: url) } catch {
            throw FileFormatError(path: url.path, "cannot read: \(error.localizedDescription)")
        }
        let data = Gzip.isCompressed(raw) ? try Gzip.decompress(raw, path: url.path) : raw
        return try decode(data, path: url.path)
    }

    /// Decodes uncompressed IDX bytes; `path` names the file in errors.
    public static func decode(_ data: Data, path: String) throws -> IDXFile {
        func fail(_ message: String) -> FileFormatError { FileFormatError(path: path, message) }
        let bytes = [UInt8](data)
        guard bytes.count >= 4 else {
            throw fail("file is \(bytes.count) bytes, shorter than the 4-byte IDX magic: truncated or not IDX")
        }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw fail(String(format: "bytes 0-1 are 0x%02X 0x%02X, not the IDX magic 0x00 0x00: not an IDX file", bytes[0], bytes[1]))
        }
        guard let type = ElementType(rawValue: bytes[2]) else {
            throw fail(String(format: "byte 2: unknown IDX element type 0x%02X", bytes[2]))
        }
        let rank = Int(bytes[3])
        guard rank >= 1 else { throw fail("byte 3: dimension count is 0") }
        let headerLength = 4 + 4 * rank
        guard bytes.count >= headerLength else {
            throw fail("header needs \(headerLength) bytes for \(rank) dimensions but the file has \(bytes.count): truncated")
        }
        let dims = (0..<rank).map { d -> Int in
            (0..<4).reduce(0) { $0 << 8 | Int(bytes[4 + 4 * d + $1]) }
        }
        let payload = bytes.count - headerLength
        // A corrupt header can claim dimensions whose product overflows Int.
        var expected = type.size
        for d in dims {
            let (product, overflow) = expected.multipliedReportingOverflow(by: d)
            guard !overflow else {
                throw fail("dimensions \(dims) of \(type) need more bytes after the header than any file holds: corrupt header")
            }
            expected = product
        }
        if payload < expected {
            throw fail("dimensions \(dims) of \(type) need \(expected) bytes after the header, but only \(payload) are there: truncated file")
        }
        if payload > expected {
            throw fail("dimensions \(dims) of \(type) need \(expected) bytes after the header, but \(payload) are there: \(payload - expected) extra bytes")
        }
        let count = expected / type.size
        let values: [Float] = bytes.withUnsafeBytes { raw in
            let base = headerLength
            func big<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
                T(bigEndian: raw.loadUnaligned(fromByteOffset: base + i * MemoryLayout<T>.size, as: T.self))
            }
            switch type {
            case .uint8: return (0..<count).map { Float(raw[base + $0]) }
            case .int8: return (0..<count).map { Float(Int8(bitPattern: raw[base + $0])) }
            case .int16: return (0..<count).map { Float(big(Int16.self, $0)) }
            case .int32: return (0..<count).map { Float(big(Int32.self, $0)) }
            case .float32: return (0..<count).map { Float(bitPattern: big(UInt32.self, $0)) }
            case .float64: return (0..<count).map { Float(Double(bitPattern: big(UInt64.self, $0))) }
            }
        }
        return IDXFile(elementType: type, shape: Shape(dims), values: values)
    }

    /// The file's uncompressed bytes; values are rounded and clamped for integer types.
    public func encoded() -> Data {
        var data = Data([0, 0, elementType.rawValue, UInt8(shape.rank)])
        for d in shape.dimensions {
            withUnsafeBytes(of: UInt32(d).bigEndian) { data.append(contentsOf: $0) }
        }
        func appendBig<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.bigEndian) { data.append(contentsOf: $0) }
        }
        func clamped<T: FixedWidthInteger>(_ v: Float, _: T.Type) -> T {
            T(Swift.max(Float(T.min), Swift.min(Float(T.max), v.rounded())))
        }
        switch elementType {
        case .uint8: data.append(contentsOf: values.map { clamped($0, UInt8.self) })
        case .int8: data.append(contentsOf: values.map { UInt8(bitPattern: clamped($0, Int8.self)) })
        case .int16: values.forEach { appendBig(clamped($0, Int16.self)) }
        case .int32: values.forEach { appendBig(Int32(exactly: $0.rounded()) ?? 0) }
        case .float32: values.forEach { appendBig($0.bitPattern) }
        case .float64: values.forEach { appendBig(Double($0).bitPattern) }
        }
        return data
    }

    /// Writes the file atomically, gzip-compressed when `url` ends in `.gz`.
    public func write(to url: URL) throws {
        let raw = encoded()
        try AtomicFile.write(url.pathExtension == "gz" ? Gzip.compress(raw) : raw, to: url)
    }
}
