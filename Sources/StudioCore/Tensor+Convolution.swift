// MARK: - Convolutions through three recorded primitives
//
// A convolution is bilinear in its input and weight, so its pullbacks are again convolutions:
// the input gradient is the transposed convolution and the weight gradient a correlation of the
// input with the output gradient. Recording those three as ops whose pullbacks call one another
// keeps every derivative order differentiable (gradient penalties differentiate a backward pass).

extension Tensor {
    /// `[N, C, H, W]` ⋆ weight `[O, C, kh, kw]` (+ bias `[O]`) `-> [N, O, H', W']`, `H' = (H + 2p - kh)/s + 1`.
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                       padding: (Int, Int) = (0, 0)) -> Tensor {
        conv2d(weight: weight, bias: bias, stride: stride, padding: padding, adding: nil)
    }

    /// The convolution plus `addend`, `[N, O, H', W']` (a residual) or `[N, O, 1, 1]` (a shift per image
    /// and channel): the same values and gradients as `conv2d(...) + addend`, but the sum is taken while
    /// each block of images' output is still in cache instead of in one more pass over memory.
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                       padding: (Int, Int) = (0, 0), adding addend: Tensor?) -> Tensor {
        precondition(rank == 4 && weight.rank == 4 && shape[1] == weight.shape[1],
                     "conv2d: input \(shape) does not fit weight \(weight.shape) ([N, C, H, W] and [O, C, kh, kw])")
        precondition(stride.0 >= 1 && stride.1 >= 1 && padding.0 >= 0 && padding.1 >= 0,
                     "conv2d: stride \(stride) must be positive and padding \(padding) non-negative")
        let outH = (shape[2] + 2 * padding.0 - weight.shape[2]) / stride.0 + 1
        let outW = (shape[3] + 2 * padding.1 - weight.shape[3]) / stride.1 + 1
        precondition(shape[2] + 2 * padding.0 >= weight.shape[2] && shape[3] + 2 * padding.1 >= weight.shape[3],
                     "conv2d: padded input \(shape) is smaller than the kernel of weight \(weight.shape)")
        if let bias {
            precondition(bias.shape == [weight.shape[0]], "conv2d: bias \(bias.shape) does not fit weight \(weight.shape)")
        }
        let geometry = ConvGeometry(
            batch: shape[0], inputChannels: shape[1], height: shape[2], width: shape[3],
            outputChannels: weight.shape[0], kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
            strideY: stride.0, strideX: stride.1, padY: padding.0, padX: padding.1,
            outputHeight: outH, outputWidth: outW)
        if let addend {
            let (n, o) = (shape[0], weight.shape[0])
            precondition(addend.shape == [n, o, outH, outW] || addend.shape == [n, o, 1, 1],
                         "conv2d: addend \(addend.shape) must be [\(n), \(o), \(outH), \(outW)] or [\(n), \(o), 1, 1]")
        }
        return Tensor.convolution(self, weight, bias: bias, geometry, adding: addend)
    }

    /// `[N, Cin, H, W]` with weight `[Cin, Cout, kh, kw]` (+ bias `[Cout]`) `-> [N, Cout, H', W']`,
    /// `H' = (H - 1)s - 2p + kh + outputPadding`, as PyTorch's `conv_transpose2d`.
    public func convTranspose2d(weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                                padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0)) -> Tensor {
        precondition(rank == 4 && weight.rank == 4 && shape[1] == weight.shape[0],
                     "convTranspose2d: input \(shape) does not fit weight \(weight.shape) ([N, Cin, H, W] and [Cin, Cout, kh, kw])")
        precondition(stride.0 >= 1 && stride.1 >= 1 && padding.0 >= 0 && padding.1 >= 0,
                     "convTranspose2d: stride \(stride) must be positive and padding \(padding) non-negative")
        precondition(outputPadding.0 >= 0 && outputPadding.0 < stride.0 && outputPadding.1 >= 0 && outputPadding.1 < stride.1,
                     "convTranspose2d: output padding \(outputPadding) must lie below stride \(stride)")
        let outH = (shape[2] - 1) * stride.0 - 2 * padding.0 + weight.shape[2] + outputPadding.0
        let outW = (shape[3] - 1) * stride.1 - 2 * padding.1 + weight.shape[3] + outputPadding.1
        precondition(outH > 0 && outW > 0, "convTranspose2d: input \(shape) with weight \(weight.shape) gives no output")
        if let bias {
            precondition(bias.shape == [weight.shape[1]],
                         "convTranspose2d: bias \(bias.shape) does not fit weight \(weight.shape)")
        }
        // The transposed convolution is the input gradient of the convolution that maps its output back to its input.
        let geometry = ConvGeometry(
            batch: shape[0], inputChannels: weight.shape[1], height: outH, width: outW,
            outputChannels: weight.shape[0], kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
            strideY: stride.0, strideX: stride.1, padY: padding.0, padX: padding.1,
            outputHeight: shape[2], outputWidth: shape[3])
        return Tensor.convolutionInputGradient(self, weight, bias: bias, geometry)
    }

    /// `[N, C, L]` ⋆ weight `[O, C, k]` (+ bias `[O]`) `-> [N, O, L']`, `L' = (L + 2p - k)/s + 1`.
    public func conv1d(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) -> Tensor {
        precondition(rank == 3 && weight.rank == 3,
                     "conv1d: input \(shape) and weight \(weight.shape) must be [N, C, L] and [O, C, k]")
        let image = expandingDimension(at: 2)
        let kernel = weight.expandingDimension(at: 2)
        return image.conv2d(weight: kernel, bias: bias, stride: (1, stride), padding: (0, padding))
            .squeezingDimension(at: 2)
    }

    /// `[N, Cin, L]` with weight `[Cin, Cout, k]` (+ bias `[Cout]`) `-> [N, Cout, L']`,
    /// `L' = (L - 1)s - 2p + k + outputPadding`.
    public func convTranspose1d(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                                outputPadding: Int = 0) -> Tensor {
        precondition(rank == 3 && weight.rank == 3,
                     "convTranspose1d: input \(shape) and weight \(weight.shape) must be [N, Cin, L] and [Cin, Cout, k]")
        let image = expandingDimension(at: 2)
        let kernel = weight.expandingDimension(at: 2)
        return image.convTranspose2d(weight: kernel, bias: bias, stride: (1, stride), padding: (0, padding),
                                     outputPadding: (0, outputPadding))
            .squeezingDimension(at: 2)
    }
}

// MARK: - The recorded primitives, each beside its pullbacks

/// Carries work between the two pullbacks of a transposed convolution, which both start from the
/// im2col matrices of the same output gradient: the first leaves either those matrices or, outside
/// a recorded backward pass, the finished weight gradient for the second.
private final class SiblingPullbacks {
    private var source: [Float] = []
    private var columns: ConvolutionKernels.Columns?
    private var weightGradient: Tensor?

    func keep(_ columns: ConvolutionKernels.Columns?, weightGradient: Tensor?, of tensor: Tensor) {
        source = tensor.scalars
        self.columns = columns
        self.weightGradient = weightGradient
    }

    /// What was kept for this very storage (which `source` keeps alive, so an equal address means the
    /// same, unmodified scalars); it is handed out once.
    func take(for tensor: Tensor) -> (columns: ConvolutionKernels.Columns?, weightGradient: Tensor?) {
        defer { source = []; columns = nil; weightGradient = nil }
        guard !source.isEmpty, source.count == tensor.elementCount else { return (nil, nil) }
        let same = source.withUnsafeBufferPointer { a in tensor.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress } }
        return same ? (columns, weightGradient) : (nil, nil)
    }
}

extension Tensor {
    /// The convolution itself: `[N, C, H, W]` ⋆ `[O, C, kh, kw]` (+ bias `[O]`) `-> [N, O, H', W']`.
    fileprivate static func convolution(_ input: Tensor, _ weight: Tensor, bias: Tensor?, _ g: ConvGeometry,
                                        sharing shared: SiblingPullbacks? = nil, adding addend: Tensor? = nil) -> Tensor {
        // The weight gradient reuses the im2col matrices; they live as long as the graph keeps the pullback.
        let keep = GradientMode.isEnabled && weight.requiresGradient
        let (value, columns) = ConvolutionKernels.forward(input, weight, bias: bias, g, keepColumns: keep || shared != nil,
                                                          adding: addend)
        shared?.keep(columns, weightGradient: nil, of: input)
        let kept = keep ? columns : nil
        var inputs: [(Tensor, (Tensor) -> Tensor)] = [
            (input, { convolutionInputGradient($0, weight, bias: nil, g) }),
            (weight, { convolutionWeightGradient(input, $0, g, columns: kept) }),
        ]
        if let bias { inputs.append((bias, { $0.sum(alongAxes: [0, 2, 3]) })) }
        if let addend { inputs.append((addend, { $0.sumToShape(addend.shape) })) }
        return record("conv2d", value, inputs)
    }

    /// The input gradient of a convolution (the transposed convolution):
    /// `[N, O, H', W']` with `[O, C, kh, kw]` (+ bias `[C]`) `-> [N, C, H, W]`.
    fileprivate static func convolutionInputGradient(_ upstream: Tensor, _ weight: Tensor, bias: Tensor?,
                                                     _ g: ConvGeometry) -> Tensor {
        let value = ConvolutionKernels.inputGradient(upstream, weight, bias: bias, g)
        let shared = weight.requiresGradient ? SiblingPullbacks() : nil
        var inputs: [(Tensor, (Tensor) -> Tensor)] = [
            (upstream, { u in
                guard let shared, !GradientMode.isEnabled else { return convolution(u, weight, bias: nil, g, sharing: shared) }
                let (value, weightGradient) = ConvolutionKernels.forwardAndWeightGradient(u, weight, upstream, g)
                shared.keep(nil, weightGradient: weightGradient, of: u)
                return value
            }),
            (weight, { u in
                let kept = shared?.take(for: u)
                return kept?.weightGradient ?? convolutionWeightGradient(u, upstream, g, columns: kept?.columns)
            }),
        ]
        if let bias { inputs.append((bias, { $0.sum(alongAxes: [0, 2, 3]) })) }
        return record("convTranspose2d", value, inputs)
    }

    /// The weight gradient of a convolution: images `[N, C, H, W]` and output gradient
    /// `[N, O, H', W']` `-> [O, C, kh, kw]`; `columns` is the images' im2col matrix when known.
    fileprivate static func convolutionWeightGradient(_ input: Tensor, _ upstream: Tensor, _ g: ConvGeometry,
                                                      columns: ConvolutionKernels.Columns?) -> Tensor {
        let value = ConvolutionKernels.weightGradient(input, upstream, g, columns: columns)
        return record("conv2dWeightGradient", value,
                      (input, { convolutionInputGradient(upstream, $0, bias: nil, g) }),
                      (upstream, { convolution(input, $0, bias: nil, g) }))
    }
}
