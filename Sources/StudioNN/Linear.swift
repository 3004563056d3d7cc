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
    /// `[outputSize, 1]`, PyTorch's `weight_g`, when the weight is weight-normalised (`weight` is then
    /// `weight_v`, and the forward uses g · v / ‖v‖ row by row), else nil.
    public private(set) var weightNormGain: Parameter?

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
    /// `bias`, `weight_orig`, `weight_u`, `weight_v`; weight-normalised: `bias`, `weight_g`,
    /// `weight_v`; as PyTorch's `state_dict()`.
    public var children: [(name: String, child: ModuleChild)] {
        guard let weightNormGain else { return weightChildren }
        return (bias.map { [("bias", .parameter($0))] } ?? []) + [("weight_g", .parameter(weightNormGain)), ("weight_v", .parameter(weight))]
    }

    /// This layer, sharing its weight and bias, with its weight reparametrised as PyTorch's
    /// `weight_norm(module)` does (Salimans & Kingma 2016): g starts as each row's norm, so the
    /// layer computes what it did; then g and the direction v train separately.
    public func weightNormalized() -> Linear {
        precondition(spectralNorm == nil && weightNormGain == nil, "Linear: the weight is already normalised")
        var copy = self
        copy.weightNormGain = Parameter(Self.rowNorms(weight.value))
        return copy
    }

    /// ‖row‖ of `[out, in]` as `[out, 1]`, differentiable.
    static func rowNorms(_ weight: Tensor) -> Tensor {
        weight.squared().sum(alongAxis: 1, keepingDimensions: true).sqrt()
    }

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
        let used = weightNormGain.map { weight.value * ($0.value / Self.rowNorms(weight.value)) } ?? effectiveWeight(context)
        var output = Tensor.matmul(flat, used, transposeB: true)
        if let bias { output = output + bias.value }
        if input.rank == 2 { return output }
        return output.reshaped(to: Shape(input.shape.dimensions.dropLast() + [outputSize]))
    }
}
