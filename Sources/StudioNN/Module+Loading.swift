import StudioCore

/// Why a set of named tensors does not fit a module: every missing key, unexpected key and
/// shape mismatch at once, so that one attempt shows everything to fix.
public struct StateLoadingError: Error, Equatable, CustomStringConvertible {
    /// A key whose tensor has the wrong shape.
    public struct ShapeMismatch: Equatable, Sendable {
        /// The dotted state name.
        public var key: String
        /// The module's shape.
        public var expected: Shape
        /// The given tensor's shape.
        public var found: Shape

        /// A mismatch for `key`: the module's shape `expected`, the given tensor's `found`.
        public init(key: String, expected: Shape, found: Shape) {
            self.key = key
            self.expected = expected
            self.found = found
        }
    }

    /// Keys the module has but the tensors lack, in module order.
    public var missingKeys: [String]
    /// Keys the tensors have but the module lacks, sorted.
    public var unexpectedKeys: [String]
    /// Keys present on both sides with different shapes, in module order.
    public var shapeMismatches: [ShapeMismatch]

    /// Every difference, one per line.
    public var description: String {
        var lines = ["loadState: the tensors do not match the module:"]
        if !missingKeys.isEmpty { lines.append("  missing keys: " + missingKeys.joined(separator: ", ")) }
        if !unexpectedKeys.isEmpty { lines.append("  unexpected keys: " + unexpectedKeys.joined(separator: ", ")) }
        for m in shapeMismatches {
            lines.append("  shape mismatch for \(m.key): module has \(m.expected), tensors have \(m.found)")
        }
        return lines.joined(separator: "\n")
    }
}

extension Module {
    /// Every parameter and buffer value under its dotted name, in PyTorch's `state_dict()` order.
    public func stateTensors() -> [(String, Tensor)] {
        stateEntries.map { name, child in
            switch child {
            case .parameter(let p): return (name, p.value.detached())
            case .buffer(let b): return (name, b.value)
            case .module: preconditionFailure("stateEntries: a module is not a state entry")
            }
        }
    }

    /// Copies `tensors` into the parameters and buffers of the same names. Nothing is changed
    /// unless every key matches with the right shape; otherwise throws a `StateLoadingError`
    /// listing every difference.
    public func loadState(_ tensors: [String: Tensor]) throws {
        let entries = stateEntries
        var error = StateLoadingError(missingKeys: [], unexpectedKeys: [], shapeMismatches: [])
        for (name, child) in entries {
            guard let tensor = tensors[name] else {
                error.missingKeys.append(name)
                continue
            }
            let expected: Shape
            switch child {
            case .parameter(let p): expected = p.shape
            case .buffer(let b): expected = b.value.shape
            case .module: continue
            }
            if tensor.shape != expected {
                error.shapeMismatches.append(.init(key: name, expected: expected, found: tensor.shape))
            }
        }
        let known = Set(entries.map(\.name))
        error.unexpectedKeys = tensors.keys.filter { !known.contains($0) }.sorted()
        guard error.missingKeys.isEmpty && error.unexpectedKeys.isEmpty && error.shapeMismatches.isEmpty else {
            throw error
        }
        for (name, child) in entries {
            switch child {
            case .parameter(let p): p.assign(tensors[name]!)
            case .buffer(let b): b.value = tensors[name]!
            case .module: break
            }
        }
    }
}
