import Foundation
import StudioCore

/// A safetensors file: named tensors plus string metadata, the checkpoint format PyTorch users share.
/// Layout: an 8-byte little-endian header length, a JSON header, then the tensors' bytes.
public struct SafeTensors {
    /// Element types a file may hold; everything is read into Float32, and written as F32, I64 or U8.
    public enum DType: String, Sendable, CaseIterable {
        case float64 = "F64", float32 = "F32", float16 = "F16", bfloat16 = "BF16"
        case int64 = "I64", int32 = "I32", int16 = "I16", int8 = "I8", uint8 = "U8", bool = "BOOL"

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .float64, .int64: 8
            case .float32, .int32: 4
            case .float16, .bfloat16, .int16: 2
            case .int8, .uint8, .bool: 1
            }
        }
    }

    /// One named tensor and the type it is (or will be) stored as.
    public struct Entry {
        public var name: String
        public var tensor: Tensor
        public var dtype: DType

        public init(name: String, tensor: Tensor, dtype: DType = .float32) {
            self.name = name
            self.tensor = tensor
            self.dtype = dtype
        }
    }

    /// The tensors in file order.
    public var entries: [Entry]
    /// The `__metadata__` strings.
    public var metadata: [String: String]

    public init(entries: [Entry] = [], metadata: [String: String] = [:]) {
        self.entries = entries
        self.metadata = metadata
    }

    /// The tensor named `name`, or nil.
    public subscript(name: String) -> Tensor? {
        entries.first { $0.name == name }?.tensor
    }

    /// Every tensor by name.
    public var tensorsByName: [String: Tensor] {
        Dictionary(entries.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    }
}

// MARK: - Writing

extension SafeTensors {
    /// The file's bytes: header padded with spaces to a multiple of 8, then each tensor in order.
    public func encoded() -> Data {
        var header = "{"
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            header += "\"__metadata__\":{" + pairs.joined(separator: ",") + "},"
        }
        var offset = 0
        var fields: [String] = []
        for entry in entries {
            precondition([.float32, .int64, .uint8].contains(entry.dtype),
                         "SafeTensors: writing \(entry.dtype.rawValue) is not supported (\(entry.name))")
            let length = entry.tensor.elementCount * entry.dtype.size
            let shape = entry.tensor.shape.dimensions.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(entry.name)):{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + length)]}")
            offset += length
        }
        header += fields.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }

        var data = Data(capacity: 8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: headerBytes)
        for entry in entries {
            entry.tensor.withUnsafeBufferPointer { values in
                switch entry.dtype {
                case .int64:
                    let ints = values.map { Int64($0.rounded()).littleEndian }
                    ints.withUnsafeBytes { data.append(contentsOf: $0) }
                case .uint8:
                    data.append(contentsOf: values.map { UInt8(min(max($0.rounded(), 0), 255)) })
                default:
                    let bits = values.map { $0.bitPattern.littleEndian }
                    bits.withUnsafeBytes { data.append(contentsOf: $0) }
                }
            }
        }
        return data
    }

    /// Writes the file atomically (temporary file, flush, rename).
    public func write(to url: URL) throws {
        try AtomicFile.write(encoded(), to: url)
    }

    private func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension SafeTensors {
    /// Throws, naming the file (`path`) and the first tensor, when any value is NaN or infinite:
    /// weights, latents and optimizer state with such values cannot be right, and would spread.
    public func requireFinite(path: String) throws {
        for entry in entries {
            let bad = entry.tensor.scalars.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
            if bad > 0 {
                throw FileFormatError(path: path, "tensor '\(entry.name)' holds \(bad) NaN or infinite values of \(entry.tensor.shape.elementCount)")
            }
        }
    }
}
