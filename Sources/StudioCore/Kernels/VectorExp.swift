/// exp, sigmoid and SiLU as branch-free scalar code that the compiler vectorises across a loop. The
/// library `exp` call was a third of a diffusion UNet's sampling time; this polynomial (Cephes' expf,
/// degree 6 on [-ln2/2, ln2/2]) stays within 2 ulp of it, and a value's result never depends on
/// where it sits in a buffer.
enum VectorExp {
    /// e^x; inputs are clamped to [-87.3, 88.3], where Float32's e^x is finite and normal.
    @inline(__always)
    static func exp(_ x: Float) -> Float {
        let clamped = x < -87.3 ? -87.3 : (x > 88.3 ? 88.3 : x)
        // Adding 1.5 * 2^23 rounds to an integer (to nearest, ties to even) held in the low mantissa
        // bits, so k comes without a conversion call.
        let magic: Float = 12_582_912
        let shifted = clamped * 1.442_695_04 + magic
        let k = shifted - magic
        // Two-part ln 2 keeps r exact enough for the polynomial.
        let r = clamped - k * 0.693_359_375 + k * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_6e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_1e-1
        p = p * (r * r) + r + 1
        let integer = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
        return p * Float(bitPattern: UInt32(bitPattern: (integer &+ 127) &<< 23))
    }

    /// 1 / (1 + e^-x).
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }
}

/// x · sigmoid(x).
struct SiLUKernel: UnaryScalarKernel {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x * VectorExp.sigmoid(x) }
}

/// sigmoid(x).
struct SigmoidKernel: UnaryScalarKernel {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { VectorExp.sigmoid(x) }
}

/// The SiLU pullback g · s (1 + x (1 - s)), s = sigmoid(x), for (g, x).
struct SiLUGradientKernel: BinaryScalarKernel {
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float) -> Float {
        let s = VectorExp.sigmoid(x)
        return g * (s * (1 + x * (1 - s)))
    }
}

/// The sigmoid pullback g · s (1 - s), for (g, s).
struct SigmoidGradientKernel: BinaryScalarKernel {
    @inline(__always) func callAsFunction(_ g: Float, _ s: Float) -> Float { g * s * (1 - s) }
}
