import Foundation

/// A seeded xoshiro256** generator whose whole state is four words, so a checkpoint can store it.
/// Streams are derived from (seed, stream, step) by SplitMix64, so that resuming or sharding a
/// job re-creates exactly the numbers an uninterrupted run would draw.
public struct RandomGenerator: RandomNumberGenerator, Codable, Hashable, Sendable {
    // Four stored words rather than an array: `next()` runs once per dropout scalar, and array
    // subscripts (bounds and uniqueness checks) made it several times slower.
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// The four state words; never all zero.
    public var state: [UInt64] { [s0, s1, s2, s3] }

    /// A generator for `stream` (init, data order, noise, ...) at `step` of a run seeded with `seed`.
    public init(seed: UInt64, stream: UInt64 = 0, step: UInt64 = 0) {
        var mixer = seed ^ (stream &* 0x9E37_79B9_7F4A_7C15) ^ (step &* 0xD1B5_4A32_D192_ED03)
        var words = (0..<4).map { _ in RandomGenerator.splitMix(&mixer) }
        if words.allSatisfy({ $0 == 0 }) { words[0] = 1 }
        (s0, s1, s2, s3) = (words[0], words[1], words[2], words[3])
    }

    /// A generator resumed from saved state words.
    public init(state: [UInt64]) {
        precondition(state.count == 4 && state.contains { $0 != 0 }, "RandomGenerator: invalid saved state \(state)")
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
    }

    private enum CodingKeys: String, CodingKey { case state }

    /// Decodes `{"state": [four words]}`, the format checkpoints have always used.
    public init(from decoder: Decoder) throws {
        let words = try decoder.container(keyedBy: CodingKeys.self).decode([UInt64].self, forKey: .state)
        guard words.count == 4, words.contains(where: { $0 != 0 }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "RandomGenerator: invalid state \(words)"))
        }
        self.init(state: words)
    }

    /// Encodes `{"state": [four words]}`.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(state, forKey: .state)
    }

    private static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = RandomGenerator.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = RandomGenerator.rotl(s3, 45)
        return result
    }

    /// A uniform Float in [0, 1) with 24 random bits.
    @inline(__always)
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform Double in (0, 1], never zero so that its logarithm is finite.
    mutating func nextOpenUniform() -> Double {
        (Double(next() >> 11) + 1) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Fills `buffer` with standard normal samples by the Box-Muller transform.
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>) {
        var i = 0
        while i < buffer.count {
            let radius = (-2 * Foundation.log(nextOpenUniform())).squareRoot()
            let angle = 2 * Double.pi * nextOpenUniform()
            buffer[i] = Float(radius * Foundation.cos(angle))
            if i + 1 < buffer.count { buffer[i + 1] = Float(radius * Foundation.sin(angle)) }
            i += 2
        }
    }
}

// MARK: - Random tensors

extension Tensor {
    /// Samples of N(mean, std²) of `shape`.
    public static func randomNormal(_ shape: Shape, mean: Float = 0, standardDeviation: Float = 1,
                                    using generator: inout RandomGenerator) -> Tensor {
        var result = Tensor(shape: shape, unsafeUninitialized: { generator.fillNormal($0) })
        if mean != 0 || standardDeviation != 1 {
            result = result.mapScalars { $0 * standardDeviation + mean }
        }
        return result
    }

    /// Samples of U[lower, upper) of `shape`.
    public static func randomUniform(_ shape: Shape, lower: Float = 0, upper: Float = 1,
                                     using generator: inout RandomGenerator) -> Tensor {
        var local = generator
        defer { generator = local }
        return Tensor(shape: shape, unsafeUninitialized: { buffer in
            for i in buffer.indices { buffer[i] = lower + (upper - lower) * local.nextUniform() }
        })
    }

    /// A mask of `shape` with each entry `value` (1 unless given) with probability `probability`, else 0;
    /// dropout passes its rescaling as `value`.
    public static func bernoulli(_ shape: Shape, probability: Float, value: Float = 1,
                                 using generator: inout RandomGenerator) -> Tensor {
        // A local copy of the generator: the captured inout one is checked for exclusive access on
        // every draw, which made this loop several times slower.
        var local = generator
        defer { generator = local }
        return Tensor(shape: shape, unsafeUninitialized: { buffer in
            for i in buffer.indices { buffer[i] = local.nextUniform() < probability ? value : 0 }
        })
    }
}
