import StudioCore

/// Why named state tensors could not be loaded into an optimizer or a moving average; every problem
/// is listed at once so that a bad checkpoint is diagnosed in one try.
public struct StateLoadingError: Error, CustomStringConvertible {
    /// The type whose state was being loaded, such as `"Adam"`.
    public let owner: String
    /// Keys the owner needs that the tensors lack, sorted.
    public let missingKeys: [String]
    /// Keys in the tensors that the owner does not know, sorted.
    public let unexpectedKeys: [String]
    /// Keys whose tensor has the wrong shape, sorted, each with the expected and the found shape.
    public let wrongShapes: [(key: String, expected: Shape, found: Shape)]
    /// Keys of step counters that do not hold a non-negative whole number, sorted.
    public let invalidCounters: [String]

    /// A readable account of every problem.
    public var description: String {
        var parts: [String] = []
        if !missingKeys.isEmpty { parts.append("missing keys: " + missingKeys.joined(separator: ", ")) }
        if !unexpectedKeys.isEmpty { parts.append("unexpected keys: " + unexpectedKeys.joined(separator: ", ")) }
        if !wrongShapes.isEmpty {
            parts.append("wrong shapes: " + wrongShapes.map { "\($0.key) expected \($0.expected), found \($0.found)" }
                .joined(separator: "; "))
        }
        if !invalidCounters.isEmpty {
            parts.append("invalid step counters: " + invalidCounters.joined(separator: ", "))
        }
        return "\(owner).loadState: " + parts.joined(separator: "; ")
    }

    /// Checks `tensors` against the expected keys and shapes (`nil` shape: a counter) and throws when
    /// anything is off; counters must be `[]` tensors holding a whole number in `0...2^24`.
    static func validate(_ tensors: [String: Tensor], owner: String, expected: [String: Shape?]) throws {
        let missing = expected.keys.filter { tensors[$0] == nil }.sorted()
        let unexpected = tensors.keys.filter { expected[$0] == nil }.sorted()
        var wrongShapes: [(key: String, expected: Shape, found: Shape)] = []
        var invalidCounters: [String] = []
        for key in expected.keys.sorted() {
            guard let tensor = tensors[key], let shape = expected[key] else { continue }
            if let shape {
                if tensor.shape != shape { wrongShapes.append((key, shape, tensor.shape)) }
            } else if tensor.shape != [] {
                wrongShapes.append((key, [], tensor.shape))
            } else if StepCounter.count(from: tensor) == nil {
                invalidCounters.append(key)
            }
        }
        if !missing.isEmpty || !unexpected.isEmpty || !wrongShapes.isEmpty || !invalidCounters.isEmpty {
            throw StateLoadingError(owner: owner, missingKeys: missing, unexpectedKeys: unexpected,
                                    wrongShapes: wrongShapes, invalidCounters: invalidCounters)
        }
    }
}

/// Step counters travel as `[]` Float32 tensors, as PyTorch keeps `state["step"]`; whole numbers
/// up to 2^24 are exact in Float32, which bounds the counts a checkpoint can carry.
enum StepCounter {
    static let limit = 1 << 24

    /// The counter as a `[]` tensor. Past 2^24 it stays at 2^24, as PyTorch's Float32 `step` does
    /// (2^24 + 1 rounds back to 2^24), instead of trapping at the checkpoint write of a long run.
    static func tensor(_ count: Int) -> Tensor {
        Tensor(Float(Swift.min(count, limit)))
    }

    /// The count a `[]` tensor holds, or nil when it is not a whole number in `0...2^24`.
    static func count(from tensor: Tensor) -> Int? {
        guard tensor.elementCount == 1 else { return nil }
        let value = tensor.scalars[0]
        guard value.isFinite, value >= 0, value <= Float(limit), value.rounded(.towardZero) == value else { return nil }
        return Int(value)
    }
}
