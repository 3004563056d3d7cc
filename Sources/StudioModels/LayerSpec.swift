import StudioCore

/// One layer of a sequential network as a recipe writes it: a `type` and that type's options,
/// mirroring the arguments of the PyTorch module of the same name.
public struct LayerSpec: Codable, Equatable, Sendable {
    /// The layer kinds a recipe may name, each with the option keys it accepts.
    public enum Kind: String, Codable, CaseIterable, Sendable {
        case linear, conv1d, conv2d, convtranspose1d, convtranspose2d
        case batchnorm1d, batchnorm2d, groupnorm, layernorm, dropout, gaussiannoise
        case relu, leakyrelu, tanh, sigmoid, silu, gelu, softplus
        case flatten, unflatten, upsample, avgpool2d, maxpool2d, phaseshuffle

        /// Option keys this kind accepts besides `type`.
        public var optionKeys: [String] {
            switch self {
            case .linear: ["in", "out", "bias", "spectral_norm", "weight_norm"]
            case .conv1d, .conv2d: ["in", "out", "kernel", "stride", "padding", "bias", "spectral_norm"]
            case .convtranspose1d, .convtranspose2d:
                ["in", "out", "kernel", "stride", "padding", "output_padding", "bias", "spectral_norm"]
            case .batchnorm1d, .batchnorm2d: ["features", "eps", "momentum"]
            case .groupnorm: ["groups", "channels", "eps"]
            case .layernorm: ["shape", "eps"]
            case .dropout: ["p"]
            case .gaussiannoise: ["std"]
            case .leakyrelu: ["slope"]
            case .relu, .tanh, .sigmoid, .silu, .gelu, .softplus: []
            case .flatten: ["start"]
            case .unflatten: ["axis", "shape"]
            case .upsample: ["scale"]
            case .avgpool2d, .maxpool2d: ["kernel", "stride"]
            case .phaseshuffle: ["n"]
            }
        }
    }

    /// A scalar or integer-list option value.
    public enum Value: Codable, Equatable, Sendable {
        case int(Int), number(Double), bool(Bool), ints([Int])

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .bool(b); return }
            if let i = try? c.decode(Int.self) { self = .int(i); return }
            if let d = try? c.decode(Double.self) { self = .number(d); return }
            if let list = try? c.decode([Int].self) { self = .ints(list); return }
            throw DecodingError.typeMismatch(Value.self, .init(codingPath: decoder.codingPath,
                debugDescription: "expected an integer, a number, true/false or a list of integers"))
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .int(let i): try c.encode(i)
            case .number(let d): try c.encode(d)
            case .bool(let b): try c.encode(b)
            case .ints(let list): try c.encode(list)
            }
        }
    }

    public var kind: Kind
    public var options: [String: Value]

    public init(_ kind: Kind, _ options: [String: Value] = [:]) {
        self.kind = kind
        self.options = options
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        guard c.contains(AnyCodingKey("type")) else {
            throw DecodingError.keyNotFound(AnyCodingKey("type"), .init(codingPath: decoder.codingPath,
                debugDescription: "a layer needs a 'type' (one of: \(Kind.allCases.map(\.rawValue).joined(separator: ", ")))"))
        }
        let typeName = try c.decode(String.self, forKey: AnyCodingKey("type"))
        guard let kind = Kind(rawValue: typeName.lowercased()) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [AnyCodingKey("type")],
                debugDescription: "unknown layer type '\(typeName)'; expected one of: \(Kind.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        try decoder.rejectUnknownKeys(["type"] + kind.optionKeys)
        self.kind = kind
        var options: [String: Value] = [:]
        for key in kind.optionKeys where c.contains(AnyCodingKey(key)) {
            options[key] = try c.decode(Value.self, forKey: AnyCodingKey(key))
        }
        // An explicit `spectral_norm = false` is dropped, so that the model config in checkpoints is
        // byte for byte that of a recipe written before the key existed.
        if options["spectral_norm"] == .bool(false) { options["spectral_norm"] = nil }
        self.options = options
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: AnyCodingKey.self)
        try c.encode(kind.rawValue, forKey: AnyCodingKey("type"))
        for key in options.keys.sorted() { try c.encode(options[key]!, forKey: AnyCodingKey(key)) }
    }
}

// MARK: - Typed option access with errors that name the layer

extension LayerSpec {
    func int(_ key: String, default fallback: Int? = nil, in place: String) throws -> Int {
        switch options[key] {
        case .int(let i)?: return i
        case nil:
            if let fallback { return fallback }
            throw ModelConfigError("\(place) (\(kind.rawValue)): missing option '\(key)'")
        default: throw ModelConfigError("\(place) (\(kind.rawValue)): option '\(key)' must be an integer")
        }
    }

    func positive(_ key: String, default fallback: Int? = nil, in place: String) throws -> Int {
        let value = try int(key, default: fallback, in: place)
        guard value > 0 else { throw ModelConfigError("\(place) (\(kind.rawValue)): option '\(key)' must be positive, got \(value)") }
        return value
    }

    func number(_ key: String, default fallback: Double, in place: String) throws -> Double {
        switch options[key] {
        case .number(let d)?: return d
        case .int(let i)?: return Double(i)
        case nil: return fallback
        default: throw ModelConfigError("\(place) (\(kind.rawValue)): option '\(key)' must be a number")
        }
    }

    func bool(_ key: String, default fallback: Bool, in place: String) throws -> Bool {
        switch options[key] {
        case .bool(let b)?: return b
        case nil: return fallback
        default: throw ModelConfigError("\(place) (\(kind.rawValue)): option '\(key)' must be true or false")
        }
    }

    func ints(_ key: String, in place: String) throws -> [Int] {
        switch options[key] {
        case .ints(let list)? where list.allSatisfy({ $0 > 0 }): return list
        case .int(let i)? where i > 0: return [i]
        case nil: throw ModelConfigError("\(place) (\(kind.rawValue)): missing option '\(key)'")
        default: throw ModelConfigError("\(place) (\(kind.rawValue)): option '\(key)' must be a list of positive integers")
        }
    }
}
