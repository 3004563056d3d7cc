import CKernels
import Foundation

// MARK: - Elementwise functions, each beside its pullback

extension Tensor {
    /// The forward result a pullback needs: the cached constant normally, or a recomputed,
    /// differentiable one while a backward pass is itself being recorded (second derivatives).
    @inline(__always)
    static func output(_ cached: Tensor, orRecompute recompute: @autoclosure () -> Tensor) -> Tensor {
        GradientMode.isEnabled ? recompute() : cached
    }

    /// e^x, same shape.
    public func exp() -> Tensor {
        let y = mapScalars { Foundation.exp($0) }
        return Tensor.record("exp", y, (self, { $0 * Tensor.output(y, orRecompute: self.exp()) }))
    }

    /// Natural logarithm, same shape.
    public func log() -> Tensor {
        Tensor.record("log", mapScalars { Foundation.log($0) }, (self, { $0 / self }))
    }

    /// Square root, same shape.
    public func sqrt() -> Tensor {
        let y = mapScalars { $0.squareRoot() }
        return Tensor.record("sqrt", y, (self, { $0 / (2 * Tensor.output(y, orRecompute: self.sqrt())) }))
    }

    /// x², same shape.
    public func squared() -> Tensor {
        Tensor.record("square", mapScalars { $0 * $0 }, (self, { $0 * self * 2 }))
    }

    /// x raised to a constant power, same shape.
    public func pow(_ exponent: Float) -> Tensor {
        if exponent == 2 { return squared() }
        let y = mapScalars { Foundation.pow($0, exponent) }
        return Tensor.record("pow", y, (self, { $0 * exponent * self.pow(exponent - 1) }))
    }

    /// |x|, same shape; the gradient at zero is zero, as in PyTorch.
    public func abs() -> Tensor {
        let sign = self.sign()
        return Tensor.record("abs", mapScalars { Swift.abs($0) }, (self, { $0 * sign }))
    }

    /// -1, 0 or 1 by the sign of each scalar; a constant.
    public func sign() -> Tensor {
        mapScalars { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
    }

    /// x limited to `[lower, upper]`; the gradient passes only where x lies inside.
    public func clamped(min lower: Float = -.infinity, max upper: Float = .infinity) -> Tensor {
        let inside = mapScalars { $0 >= lower && $0 <= upper ? 1 : 0 }
        let y = mapScalars { Swift.min(Swift.max($0, lower), upper) }
        return Tensor.record("clamp", y, (self, { $0 * inside }))
    }

    /// The Gauss error function, same shape.
    public func erf() -> Tensor {
        let y = mapScalars { Foundation.erf($0) }
        return Tensor.record("erf", y, (self, { g in g * (-self.squared()).exp() * Float(2 / Double.pi.squareRoot()) }))
    }

    /// Sine, same shape.
    public func sin() -> Tensor {
        Tensor.record("sin", mapScalars { Foundation.sin($0) }, (self, { $0 * self.cos() }))
    }

    /// Cosine, same shape.
    public func cos() -> Tensor {
        Tensor.record("cos", mapScalars { Foundation.cos($0) }, (self, { -$0 * self.sin() }))
    }
}

// MARK: - Activations

extension Tensor {
    /// max(x, 0), same shape.
    public func relu() -> Tensor {
        let input = detached()
        return Tensor.record("relu", mapScalars(Rectifier(slope: 0)), (self, { $0.rectifierGradient(at: input, slope: 0) }))
    }

    /// x for x > 0, else `slope * x`; same shape.
    public func leakyRelu(slope: Float = 0.01) -> Tensor {
        let input = detached()
        return Tensor.record("leakyRelu", mapScalars(Rectifier(slope: slope)),
                             (self, { $0.rectifierGradient(at: input, slope: slope) }))
    }

    /// The pullback of a (leaky) rectifier at `input`: g where x > 0, else `slope · g`, read straight
    /// from the input so no mask tensor is made. It is linear in g, its own pullback; x only picks
    /// the branch, so no gradient flows to it (zero almost everywhere).
    private func rectifierGradient(at input: Tensor, slope: Float) -> Tensor {
        let value = zipScalars(input, RectifierGradient(slope: slope))
        return Tensor.record("rectifierGradient", value, (self, { $0.rectifierGradient(at: input, slope: slope) }))
    }

    /// Hyperbolic tangent, same shape.
    public func tanh() -> Tensor {
        let y = mapScalars { Foundation.tanh($0) }
        return Tensor.record("tanh", y, (self, { g in
            let t = Tensor.output(y, orRecompute: self.tanh())
            return g * (1 - t.squared())
        }))
    }

    /// 1 / (1 + e^-x), same shape.
    public func sigmoid() -> Tensor {
        let y = mapScalars(SigmoidKernel())
        return Tensor.record("sigmoid", y, (self, { g in
            let s = Tensor.output(y, orRecompute: self.sigmoid())
            // One fused pass unless this backward is itself being recorded.
            guard isRecordingGradients else { return g.zipScalars(s, SigmoidGradientKernel()) }
            return g * s * (1 - s)
        }))
    }

    /// x · sigmoid(x), same shape.
    public func silu() -> Tensor {
        let y = mapScalars(SiLUKernel())
        return Tensor.record("silu", y, (self, { g in
            guard isRecordingGradients else {
                return g.zipScalars(self, SiLUGradientKernel())
            }
            let sig = self.sigmoid()
            return g * (sig * (1 + self * (1 - sig)))
        }))
    }

    /// The exact GELU, x · Φ(x) with Φ the standard normal CDF; same shape.
    public func gelu() -> Tensor {
        let y = mapScalars { 0.5 * $0 * (1 + Foundation.erf($0 / Float(2).squareRoot())) }
        return Tensor.record("gelu", y, (self, { g in
            let cdf = 0.5 * (1 + (self * Float(1 / 2.0.squareRoot())).erf())
            let pdf = (-0.5 * self.squared()).exp() * Float(1 / (2 * Double.pi).squareRoot())
            return g * (cdf + self * pdf)
        }))
    }

    /// log(1 + e^x) computed without overflow; same shape.
    public func softplus() -> Tensor {
        let y = mapRuns(studio_softplus)
        return Tensor.record("softplus", y, (self, { g in
            guard isRecordingGradients else { return g.zipRuns(self, studio_softplus_gradient) }
            return g * self.sigmoid()
        }))
    }
}

/// x for x > 0, else `slope · x` (slope 0: ReLU).
private struct Rectifier: UnaryScalarKernel {
    let slope: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x > 0 ? x : x * slope }
}

/// g where x > 0, else `slope · g`.
private struct RectifierGradient: BinaryScalarKernel {
    let slope: Float
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float) -> Float { x > 0 ? g : g * slope }
}
