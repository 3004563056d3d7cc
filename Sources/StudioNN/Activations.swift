import StudioCore

/// max(x, 0), elementwise: `[...] -> [...]`.
public struct ReLU: Layer {
    /// The parameterless layer.
    public init() {}
    /// Same shape.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor { input.relu() }
}

/// x for x > 0, else `slope · x`, elementwise: `[...] -> [...]`.
public struct LeakyReLU: Layer {
    /// The gradient for negative inputs; PyTorch's default is 0.01, DCGAN uses 0.2.
    public let slope: Float
    /// A leaky ReLU with negative-side `slope`.
    public init(slope: Float = 0.01) { self.slope = slope }
    /// Same shape.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor { input.leakyRelu(slope: slope) }
}

/// Hyperbolic tangent, elementwise: `[...] -> [...]`.
public struct Tanh: Layer {
    /// The parameterless layer.
    public init() {}
    /// Same shape.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor { input.tanh() }
}

/// 1 / (1 + e^-x), elementwise: `[...] -> [...]`.
public struct Sigmoid: Layer {
    /// The parameterless layer.
    public init() {}
    /// Same shape.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor { input.sigmoid() }
}

/// x · sigmoid(x), elementwise: `[...] -> [...]`.
public struct SiLU: Layer {
    /// The parameterless layer.
    public init() {}
    /// Same shape.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor { input.silu() }
}

/// The exact (erf) GELU, elementwise: `[...] -> [...]`.
public struct GELU: Layer {
    /// The parameterless layer.
    public init() {}
    /// Same shape.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor { input.gelu() }
}

/// log(1 + e^x), elementwise: `[...] -> [...]`.
public struct Softplus: Layer {
    /// The parameterless layer.
    public init() {}
    /// Same shape.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor { input.softplus() }
}
