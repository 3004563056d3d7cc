import StudioCore

/// A 2-D convolution over NCHW images: `[N, in, H, W] -> [N, out, H', W']` with
/// `H' = (H + 2·padding - kernel) / stride + 1`. Weight `[out, in, kh, kw]`, bias `[out]`, as PyTorch.
public struct Conv2d: SpectrallyNormalizable {
    /// `[outputChannels, inputChannels, kernelHeight, kernelWidth]`.
    public let weight: Parameter
    /// `[outputChannels]`, or nil.
    public let bias: Parameter?
    /// PyTorch's `spectral_norm` state when the weight is spectrally normalised (`weight` is then
    /// `weight_orig`), else nil.
    public private(set) var spectralNorm: SpectralNorm?
    /// Steps between windows, (vertical, horizontal).
    public let stride: (Int, Int)
    /// Zeros added on each side, (vertical, horizontal).
    public let padding: (Int, Int)

    /// A square-kernel convolution with PyTorch's default initialisation, U(±1/√(in·kh·kw)).
    public init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true, using generator: inout RandomGenerator) {
        self.init(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: (kernelSize, kernelSize),
                  stride: (stride, stride), padding: (padding, padding), bias: bias, using: &generator)
    }

    /// A convolution with PyTorch's default initialisation, U(±1/√(in·kh·kw)).
    public init(inputChannels: Int, outputChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), bias: Bool = true, using generator: inout RandomGenerator) {
        let fanIn = inputChannels * kernelSize.0 * kernelSize.1
        let weight = Tensor.fanInUniform([outputChannels, inputChannels, kernelSize.0, kernelSize.1],
                                         fanIn: fanIn, using: &generator)
        let bias = bias ? Tensor.fanInUniform([outputChannels], fanIn: fanIn, using: &generator) : nil
        self.init(weight: weight, bias: bias, stride: stride, padding: padding)
    }

    /// A convolution holding the given weight `[out, in, kh, kw]` and bias `[out]`.
    public init(weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0)) {
        precondition(weight.rank == 4, "Conv2d: weight must be [out, in, kh, kw], got \(weight.shape)")
        if let bias {
            precondition(bias.shape == [weight.shape[0]], "Conv2d: bias \(bias.shape) does not match weight \(weight.shape)")
        }
        self.weight = Parameter(weight)
        self.bias = bias.map(Parameter.init)
        self.stride = stride
        self.padding = padding
    }

    /// `weight`, then `bias` when present, as PyTorch names them; spectrally normalised:
    /// `bias`, `weight_orig`, `weight_u`, `weight_v`, as PyTorch's `state_dict()`.
    public var children: [(name: String, child: ModuleChild)] { weightChildren }

    /// This layer, sharing its parameters, with its weight spectrally normalised along axis 0 (output channels).
    public func spectrallyNormalized(using generator: inout RandomGenerator) -> Conv2d {
        precondition(spectralNorm == nil, "Conv2d: the weight is already spectrally normalised")
        var copy = self
        copy.spectralNorm = SpectralNorm(weightShape: weight.shape, axis: 0, using: &generator)
        return copy
    }

    /// `[N, in, H, W] -> [N, out, H', W']`.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor {
        input.conv2d(weight: effectiveWeight(context), bias: bias?.value, stride: stride, padding: padding)
    }

    /// `[N, in, H, W] -> [N, out, H', W']` plus `addend`, `[N, out, H', W']` or `[N, out, 1, 1]`, summed
    /// as the output is made (a residual connection, or a shift per image and channel).
    public func callAsFunction(_ input: Tensor, adding addend: Tensor, context: ForwardContext) -> Tensor {
        input.conv2d(weight: effectiveWeight(context), bias: bias?.value, stride: stride, padding: padding, adding: addend)
    }

    /// This convolution of the input's nearest 2x upsampling: `[N, in, H, W]` -> the output for
    /// `[N, in, 2H, 2W]` (`[N, out, 2H, 2W]` for a 3x3 kernel at stride 1 and padding 1, which runs without
    /// the upsampled image, see `conv2dAfterNearestUpsampling`; other kernels upsample first).
    public func callAsFunction(upsampling input: Tensor, context: ForwardContext) -> Tensor {
        guard weight.shape[2] == 3, weight.shape[3] == 3, stride == (1, 1), padding == (1, 1) else {
            return self(input.upsampledNearest(scale: 2), context: context)
        }
        return input.conv2dAfterNearestUpsampling(weight: effectiveWeight(context), bias: bias?.value)
    }
}

/// A 1-D convolution over NCL signals: `[N, in, L] -> [N, out, L']` with
/// `L' = (L + 2·padding - kernel) / stride + 1`. Weight `[out, in, k]`, bias `[out]`, as PyTorch.
public struct Conv1d: SpectrallyNormalizable {
    /// `[outputChannels, inputChannels, kernelSize]`.
    public let weight: Parameter
    /// `[outputChannels]`, or nil.
    public let bias: Parameter?
    /// PyTorch's `spectral_norm` state when the weight is spectrally normalised (`weight` is then
    /// `weight_orig`), else nil.
    public private(set) var spectralNorm: SpectralNorm?
    /// Step between windows.
    public let stride: Int
    /// Zeros added on each side.
    public let padding: Int

    /// A convolution with PyTorch's default initialisation, U(±1/√(in·k)).
    public init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true, using generator: inout RandomGenerator) {
        let fanIn = inputChannels * kernelSize
        let weight = Tensor.fanInUniform([outputChannels, inputChannels, kernelSize], fanIn: fanIn, using: &generator)
        let bias = bias ? Tensor.fanInUniform([outputChannels], fanIn: fanIn, using: &generator) : nil
        self.init(weight: weight, bias: bias, stride: stride, padding: padding)
    }

    /// A convolution holding the given weight `[out, in, k]` and bias `[out]`.
    public init(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) {
        precondition(weight.rank == 3, "Conv1d: weight must be [out, in, k], got \(weight.shape)")
        if let bias {
            precondition(bias.shape == [weight.shape[0]], "Conv1d: bias \(bias.shape) does not match weight \(weight.shape)")
        }
        self.weight = Parameter(weight)
        self.bias = bias.map(Parameter.init)
        self.stride = stride
        self.padding = padding
    }

    /// `weight`, then `bias` when present, as PyTorch names them; spectrally normalised:
    /// `bias`, `weight_orig`, `weight_u`, `weight_v`, as PyTorch's `state_dict()`.
    public var children: [(name: String, child: ModuleChild)] { weightChildren }

    /// This layer, sharing its parameters, with its weight spectrally normalised along axis 0 (output channels).
    public func spectrallyNormalized(using generator: inout RandomGenerator) -> Conv1d {
        precondition(spectralNorm == nil, "Conv1d: the weight is already spectrally normalised")
        var copy = self
        copy.spectralNorm = SpectralNorm(weightShape: weight.shape, axis: 0, using: &generator)
        return copy
    }

    /// `[N, in, L] -> [N, out, L']`.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor {
        input.conv1d(weight: effectiveWeight(context), bias: bias?.value, stride: stride, padding: padding)
    }
}
