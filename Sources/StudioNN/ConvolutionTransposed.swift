import StudioCore

/// A 2-D transposed convolution (the adjoint of `Conv2d`): `[N, in, H, W] -> [N, out, H', W']` with
/// `H' = (H - 1)·stride - 2·padding + kernel + outputPadding`. Weight `[in, out, kh, kw]`, bias `[out]`.
public struct ConvTranspose2d: SpectrallyNormalizable {
    /// `[inputChannels, outputChannels, kernelHeight, kernelWidth]`, PyTorch's layout.
    public let weight: Parameter
    /// `[outputChannels]`, or nil.
    public let bias: Parameter?
    /// PyTorch's `spectral_norm` state when the weight is spectrally normalised (`weight` is then
    /// `weight_orig`), else nil.
    public private(set) var spectralNorm: SpectralNorm?
    /// Upsampling factor, (vertical, horizontal).
    public let stride: (Int, Int)
    /// Rows and columns cropped from each side of the full output.
    public let padding: (Int, Int)
    /// Extra rows and columns added at the bottom and right, to pick among output sizes.
    public let outputPadding: (Int, Int)

    /// A square-kernel transposed convolution with PyTorch's default initialisation, U(±1/√(out·kh·kw)):
    /// PyTorch takes the fan-in from weight axis 1, which is the output channels here.
    public init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                outputPadding: Int = 0, bias: Bool = true, using generator: inout RandomGenerator) {
        self.init(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: (kernelSize, kernelSize),
                  stride: (stride, stride), padding: (padding, padding), outputPadding: (outputPadding, outputPadding),
                  bias: bias, using: &generator)
    }

    /// A transposed convolution with PyTorch's default initialisation, U(±1/√(out·kh·kw)).
    public init(inputChannels: Int, outputChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0), bias: Bool = true,
                using generator: inout RandomGenerator) {
        let fanIn = outputChannels * kernelSize.0 * kernelSize.1
        let weight = Tensor.fanInUniform([inputChannels, outputChannels, kernelSize.0, kernelSize.1],
                                         fanIn: fanIn, using: &generator)
        let bias = bias ? Tensor.fanInUniform([outputChannels], fanIn: fanIn, using: &generator) : nil
        self.init(weight: weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding)
    }

    /// A transposed convolution holding the given weight `[in, out, kh, kw]` and bias `[out]`.
    public init(weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                outputPadding: (Int, Int) = (0, 0)) {
        precondition(weight.rank == 4, "ConvTranspose2d: weight must be [in, out, kh, kw], got \(weight.shape)")
        if let bias {
            precondition(bias.shape == [weight.shape[1]],
                         "ConvTranspose2d: bias \(bias.shape) does not match weight \(weight.shape)")
        }
        precondition(outputPadding.0 < Swift.max(stride.0, 1) && outputPadding.1 < Swift.max(stride.1, 1),
                     "ConvTranspose2d: output padding \(outputPadding) must be smaller than stride \(stride)")
        self.weight = Parameter(weight)
        self.bias = bias.map(Parameter.init)
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
    }

    /// `weight`, then `bias` when present, as PyTorch names them; spectrally normalised:
    /// `bias`, `weight_orig`, `weight_u`, `weight_v`, as PyTorch's `state_dict()`.
    public var children: [(name: String, child: ModuleChild)] { weightChildren }

    /// This layer, sharing its parameters, with its weight spectrally normalised along axis 1 (output channels).
    public func spectrallyNormalized(using generator: inout RandomGenerator) -> ConvTranspose2d {
        precondition(spectralNorm == nil, "ConvTranspose2d: the weight is already spectrally normalised")
        var copy = self
        copy.spectralNorm = SpectralNorm(weightShape: weight.shape, axis: 1, using: &generator)
        return copy
    }

    /// `[N, in, H, W] -> [N, out, H', W']`.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor {
        input.convTranspose2d(weight: effectiveWeight(context), bias: bias?.value, stride: stride, padding: padding,
                              outputPadding: outputPadding)
    }
}

/// A 1-D transposed convolution: `[N, in, L] -> [N, out, L']` with
/// `L' = (L - 1)·stride - 2·padding + kernel + outputPadding`. Weight `[in, out, k]`, bias `[out]`.
public struct ConvTranspose1d: SpectrallyNormalizable {
    /// `[inputChannels, outputChannels, kernelSize]`, PyTorch's layout.
    public let weight: Parameter
    /// `[outputChannels]`, or nil.
    public let bias: Parameter?
    /// PyTorch's `spectral_norm` state when the weight is spectrally normalised (`weight` is then
    /// `weight_orig`), else nil.
    public private(set) var spectralNorm: SpectralNorm?
    /// Upsampling factor.
    public let stride: Int
    /// Samples cropped from each end of the full output.
    public let padding: Int
    /// Extra samples added at the end, to pick among output lengths.
    public let outputPadding: Int

    /// A transposed convolution with PyTorch's default initialisation, U(±1/√(out·k)).
    public init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                outputPadding: Int = 0, bias: Bool = true, using generator: inout RandomGenerator) {
        let fanIn = outputChannels * kernelSize
        let weight = Tensor.fanInUniform([inputChannels, outputChannels, kernelSize], fanIn: fanIn, using: &generator)
        let bias = bias ? Tensor.fanInUniform([outputChannels], fanIn: fanIn, using: &generator) : nil
        self.init(weight: weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding)
    }

    /// A transposed convolution holding the given weight `[in, out, k]` and bias `[out]`.
    public init(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0) {
        precondition(weight.rank == 3, "ConvTranspose1d: weight must be [in, out, k], got \(weight.shape)")
        if let bias {
            precondition(bias.shape == [weight.shape[1]],
                         "ConvTranspose1d: bias \(bias.shape) does not match weight \(weight.shape)")
        }
        precondition(outputPadding < Swift.max(stride, 1),
                     "ConvTranspose1d: output padding \(outputPadding) must be smaller than stride \(stride)")
        self.weight = Parameter(weight)
        self.bias = bias.map(Parameter.init)
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
    }

    /// `weight`, then `bias` when present, as PyTorch names them; spectrally normalised:
    /// `bias`, `weight_orig`, `weight_u`, `weight_v`, as PyTorch's `state_dict()`.
    public var children: [(name: String, child: ModuleChild)] { weightChildren }

    /// This layer, sharing its parameters, with its weight spectrally normalised along axis 1 (output channels).
    public func spectrallyNormalized(using generator: inout RandomGenerator) -> ConvTranspose1d {
        precondition(spectralNorm == nil, "ConvTranspose1d: the weight is already spectrally normalised")
        var copy = self
        copy.spectralNorm = SpectralNorm(weightShape: weight.shape, axis: 1, using: &generator)
        return copy
    }

    /// `[N, in, L] -> [N, out, L']`.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor {
        input.convTranspose1d(weight: effectiveWeight(context), bias: bias?.value, stride: stride, padding: padding,
                              outputPadding: outputPadding)
    }
}
