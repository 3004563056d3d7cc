import Foundation
import StudioCore

// MARK: - Reading, with every offset checked before it is used

extension SafeTensors {
    /// Reads and validates a safetensors file; any inconsistency is a `FileFormatError` naming the
    /// file, the tensor and the bytes involved.
    public static func read(from url: URL) throws -> SafeTensors {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw FileFormatError(path: url.path, "no such file (expected a .safetensors file)")
        }
        if isDirectory.boolValue { throw FileFormatError(path: url.path, "is a directory, not a .safetensors file") }
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw FileFormatError(path: url.path, "cannot read: \(error.localizedDescription)")
        }
        return try decode(data, path: url.path)
    }

    /// Decodes the bytes of a safetensors file; `path` names it in errors.
    public static func decode(_ data: Data, path: String) throws -> SafeTensors {
        func fail(_ message: String) -> FileFormatError { FileFormatError(path: path, message) }
        guard data.count >= 8 else {
            throw fail("file is \(data.count) bytes, too short for the 8-byte header length: truncated or not safetensors")
        }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw fail("header length \(headerLength) (bytes 0..<8) runs past the end of the file (\(data.count) bytes): truncated or not safetensors")
        }
        let headerEnd = 8 + Int(headerLength)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<headerEnd))
        } catch {
            throw fail("header (bytes 8..<\(headerEnd)) is not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw fail("header (bytes 8..<\(headerEnd)) is not a JSON object") }

        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let dict = raw as? [String: Any] else { throw fail("__metadata__ is not an object of strings") }
            for (key, value) in dict {
                guard let s = value as? String else { throw fail("__metadata__ value for '\(key)' is not a string") }
                metadata[key] = s
            }
        }

        let dataLength = data.count - headerEnd
        var spans: [(name: String, dtype: DType, shape: Shape, range: Range<Int>)] = []
        for (name, raw) in header where name != "__metadata__" {
            guard let info = raw as? [String: Any] else { throw fail("tensor '\(name)': entry is not an object") }
            guard let dtypeName = info["dtype"] as? String, let dtype = DType(rawValue: dtypeName) else {
                throw fail("tensor '\(name)': unknown dtype \(String(describing: info["dtype"] ?? "missing"))")
            }
            guard let dims = exactIntegers(info["shape"]), dims.allSatisfy({ $0 >= 0 }) else {
                throw fail("tensor '\(name)': shape is not a list of non-negative integers")
            }
            guard let offsets = exactIntegers(info["data_offsets"]), offsets.count == 2 else {
                throw fail("tensor '\(name)': data_offsets is not a pair of integers")
            }
            let begin = offsets[0], end = offsets[1]
            let shape = Shape(dims)
            guard begin >= 0, begin <= end else {
                throw fail("tensor '\(name)': data_offsets [\(begin), \(end)] are not an increasing pair")
            }
            guard end <= dataLength else {
                throw fail("tensor '\(name)': data_offsets [\(begin), \(end)] run past the end of the data (\(dataLength) bytes after the header): truncated file")
            }
            // A corrupt shape can multiply past Int.max; no real tensor is that large.
            let byteCount = dims.reduce(Optional(dtype.size)) { product, d in
                product.flatMap { p in
                    let (r, overflow) = p.multipliedReportingOverflow(by: d)
                    return overflow ? nil : r
                }
            }
            guard let byteCount, end - begin == byteCount else {
                let needed = byteCount.map { "\($0) bytes" } ?? "more bytes than any file holds"
                throw fail("tensor '\(name)': shape \(shape) of \(dtype.rawValue) needs \(needed) but data_offsets span \(end - begin)")
            }
            spans.append((name, dtype, shape, begin..<end))
        }
        spans.sort { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        var cursor = 0
        var previous = "the header"
        for span in spans {
            if span.range.lowerBound < cursor {
                throw fail("tensors '\(previous)' and '\(span.name)' overlap at data byte \(span.range.lowerBound)")
            }
            if span.range.lowerBound > cursor {
                throw fail("data bytes \(cursor)..<\(span.range.lowerBound) after '\(previous)' belong to no tensor")
            }
            cursor = span.range.upperBound
            previous = span.name
        }
        if cursor != dataLength {
            throw fail("data bytes \(cursor)..<\(dataLength) at the end belong to no tensor")
        }

        let entries = data.withUnsafeBytes { raw -> [Entry] in
            spans.map { span in
                let bytes = UnsafeRawBufferPointer(rebasing: raw[(headerEnd + span.range.lowerBound)..<(headerEnd + span.range.upperBound)])
                return Entry(name: span.name, tensor: Tensor(shape: span.shape, scalars: convert(bytes, span.dtype)),
                             dtype: span.dtype)
            }
        }
        return SafeTensors(entries: entries, metadata: metadata)
    }

    /// A JSON list of integers, each read exactly: fractions (`4.5`) and values beyond `Int` are nil,
    /// where `NSNumber.intValue` would truncate or wrap them into plausible-looking sizes.
    private static func exactIntegers(_ value: Any?) -> [Int]? {
        guard let numbers = value as? [NSNumber] else { return nil }
        var result: [Int] = []
        for number in numbers {
            guard let exact = Int(number.stringValue) else { return nil }
            result.append(exact)
        }
        return result
    }

    private static func convert(_ bytes: UnsafeRawBufferPointer, _ dtype: DType) -> [Float] {
        let count = bytes.count / dtype.size
        func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
            T(littleEndian: bytes.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))
        }
        return (0..<count).map { i in
            switch dtype {
            case .float32: Float(bitPattern: load(UInt32.self, i))
            case .float64: Float(Double(bitPattern: load(UInt64.self, i)))
            case .bfloat16: Float(bitPattern: UInt32(load(UInt16.self, i)) << 16)
            case .float16: halfToFloat(load(UInt16.self, i))
            case .int64: Float(load(Int64.self, i))
            case .int32: Float(load(Int32.self, i))
            case .int16: Float(load(Int16.self, i))
            case .int8: Float(Int8(bitPattern: bytes[i]))
            case .uint8, .bool: Float(bytes[i])
            }
        }
    }

    /// IEEE half to single precision, subnormals and infinities included.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign: Float = (h & 0x8000) != 0 ? -1 : 1
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = Float(h & 0x3FF)
        switch exponent {
        case 0: return sign * mantissa * 0x1p-24
        case 31: return mantissa == 0 ? sign * .infinity : .nan
        default: return sign * (1 + mantissa / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }
}
