import StudioCore

/// Group normalisation: channels split into groups, each normalised over its channels and positions
/// per sample: `[N, C, ...] -> [N, C, ...]`. Weight and bias `[C]`, as PyTorch's `GroupNorm`.
public struct GroupNorm: Layer {
    /// The number of channel groups; it divides the channel count.
    public let groupCount: Int
    /// Added to the variance before the square root.
    public let epsilon: Float
    /// `[C]` scale, starting at 1.
    public let weight: Parameter
    /// `[C]` shift, starting at 0.
    public let bias: Parameter

    /// Weight 1 and bias 0, as PyTorch.
    public init(groupCount: Int, channelCount: Int, epsilon: Float = 1e-5) {
        precondition(groupCount > 0 && channelCount % groupCount == 0,
                     "GroupNorm: \(groupCount) groups do not divide \(channelCount) channels")
        self.groupCount = groupCount
        self.epsilon = epsilon
        weight = Parameter(Tensor(ones: [channelCount]))
        bias = Parameter(Tensor(zeros: [channelCount]))
    }

    /// `weight`, then `bias` when present, as PyTorch names them.
    public var children: [(name: String, child: ModuleChild)] {
        [("weight", .parameter(weight)), ("bias", .parameter(bias))]
    }

    /// `[N, C, ...] -> [N, C, ...]`.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor {
        callAsFunction(input, followedBySiLU: false, context: context)
    }

    /// `[N, C, ...] -> [N, C, ...]`; with `followedBySiLU`, SiLU of the result from the same pass over
    /// memory, as the pre-activation blocks of diffusion UNets take it.
    public func callAsFunction(_ input: Tensor, followedBySiLU: Bool, context: ForwardContext) -> Tensor {
        let channels = weight.shape[0]
        precondition(input.rank >= 2 && input.shape[1] == channels,
                     "GroupNorm: input \(input.shape) does not have \(channels) channels on axis 1")
        return input.groupNormalized(groupCount: groupCount, weight: weight.value, bias: bias.value, epsilon: epsilon,
                                     followedBySiLU: followedBySiLU)
    }
}

/// Layer normalisation over the trailing axes `shape`: `[..., *shape] -> [..., *shape]`, each
/// sample normalised over those axes. Weight and bias have `shape`, as PyTorch's `LayerNorm`.
public struct LayerNorm: Layer {
    /// Added to the variance before the square root.
    public let epsilon: Float
    /// `shape` scale, starting at 1; nil without the elementwise affine map.
    public let weight: Parameter?
    /// `shape` shift, starting at 0; nil without the elementwise affine map.
    public let bias: Parameter?
    /// The normalised trailing axes.
    public let shape: Shape

    /// Weight 1 and bias 0 when `elementwiseAffine`, as PyTorch.
    public init(shape: Shape, epsilon: Float = 1e-5, elementwiseAffine: Bool = true) {
        precondition(shape.rank > 0, "LayerNorm: needs at least one normalised axis")
        self.shape = shape
        self.epsilon = epsilon
        weight = elementwiseAffine ? Parameter(Tensor(ones: shape)) : nil
        bias = elementwiseAffine ? Parameter(Tensor(zeros: shape)) : nil
    }

    /// `weight`, then `bias` when present, as PyTorch names them.
    public var children: [(name: String, child: ModuleChild)] {
        guard let weight, let bias else { return [] }
        return [("weight", .parameter(weight)), ("bias", .parameter(bias))]
    }

    /// `[..., *shape] -> [..., *shape]`.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor {
        precondition(input.rank >= shape.rank && Array(input.shape.dimensions.suffix(shape.rank)) == shape.dimensions,
                     "LayerNorm: input \(input.shape) does not end in \(shape)")
        let normalized = input.normalized(rowCount: input.elementCount / Swift.max(shape.elementCount, 1), epsilon: epsilon)
        guard let weight, let bias else { return normalized }
        return normalized * weight.value + bias.value
    }
}
