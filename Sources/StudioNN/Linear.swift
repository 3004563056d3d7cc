import StudioCore

/// A fully connected layer `x Wᵀ + b`: `[N, in] -> [N, out]`, or with any leading axes
/// `[.., in] -> [.., out]`. Weight `[out, in]`, bias `[out]`, as PyTorch.
public struct Linear: SpectrallyNormalizable {
    /// `[outputSize, inputSize]`.
    public let weight: Parameter
    /// `[outputSize]`, or nil.
    public let bias: Parameter?
    /// PyTorch's `spectral_norm` state when the weight is spectrally normalised (`weight` is then
    /// `weight_orig`), else nil.
    public private(set) var spectralNorm: SpectralNorm?

    /// A layer with PyTorch's default initialisation: weight and bias from U(±1/√inputSize).
    public init(inputSize: Int, outputSize: Int, bias: Bool = true, using generator: inout RandomGenerator) {
        let weight = Tensor.fanInUniform([outputSize, inputSize], fanIn: inputSize, using: &generator)
        let bias = bias ? Tensor.fanInUniform([outputSize], fanIn: inputSize, using: &generator) : nil
        self.init(weight: weight, bias: bias)
    }

    /// A layer holding the given values: weight `[out, in]`, bias `[out]`.
    public init(weight: Tensor, bias: Tensor? = nil) {
        precondition(weight.rank == 2, "Linear: weight must be [out, in], got \(weight.shape)")
        if let bias {
            precondition(bias.shape == [weight.shape[0]], "Linear: bias \(bias.shape) does not match weight \(weight.shape)")
        }
        self.weight = Parameter(weight)
        self.bias = bias.map(Parameter.init)
    }

    /// The number of input features.
    public var inputSize: Int { weight.shape[1] }
    /// The number of output features.
    public var outputSize: Int { weight.shape[0] }

    /// `weight`, then `bias` when present, as PyTorch names them; spectrally normalised:
    /// `bias`, `weight_orig`, `weight_u`, `weight_v`, as PyTorch's `state_dict()`.
    public var children: [(name: String, child: ModuleChild)] { weightChildren }

    /// This layer, sharing its parameters, with its weight spectrally normalised along axis 0 (output features).
    public func spectrallyNormalized(using generator: inout RandomGenerator) -> Linear {
        precondition(spectralNorm == nil, "Linear: the weight is already spectrally normalised")
        var copy = self
        copy.spectralNorm = SpectralNorm(weightShape: weight.shape, axis: 0, using: &generator)
        return copy
    }

    /// `[N, in] -> [N, out]`; other leading axes are flattened into one batch and restored.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor {
        precondition(input.rank >= 1 && input.shape.last == inputSize,
                     "Linear: input \(input.shape) does not end in \(inputSize) features (weight \(weight.shape))")
        let flat = input.rank == 2 ? input : input.reshaped(to: [-1, inputSize])
        var output = Tensor.matmul(flat, effectiveWeight(context), transposeB: true)
        if let bias { output = output + bias.value }
        if input.rank == 2 { return output }
        return output.reshaped(to: Shape(input.shape.dimensions.dropLast() + [outputSize]))
    }
}
