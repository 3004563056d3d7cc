import CKernels

/// Convolutions computed straight from each image (or a zero-bordered copy of it), without an im2col
/// matrix of kh·kw copies, on processors with AVX-512 (elsewhere `ConvolutionKernels` keeps im2col and OpenBLAS):
///
/// - `studio_winograd3x3` for 3x3 convolutions with stride 1 and padding 1 and at least 64 channels each
///   way (a wide UNet's levels): Winograd's F(2x2, 3x3), 16 multiplications per 2x2 outputs instead of 36,
///   sixteen images a call, one per vector lane.
/// - `studio_conv3x3` for the other 3x3 same convolutions (the levels of the recipes' UNets, 16 and 32
///   channels wide): it vectorises over the flat index of the image, 16 pixels a vector, read in place.
/// - `studio_conv_channels` for any other convolution with a multiple of 16 output channels (a DCGAN's 7x7
///   and 14x14 layers, a UNet's strided ones), and for 3x3 same ones 7 wide or narrower with such outputs
///   (a UNet's 7x7 level, before the other two): it vectorises over output channels.
/// - `studio_conv_transposed` for the input gradient of a strided convolution (a transposed convolution
///   that upsamples, a DCGAN generator's) with a multiple of 16 input channels: one stride-1 sum with the
///   same tiles per phase of the output, instead of a GEMM and col2im's scatter.
///
/// All but the last run the input gradient of a stride-1 convolution too, as a convolution with the kernel
/// flipped and its channel axes swapped. The direct kernels sum each output as the same chain of fused multiply-adds
/// over channels, then taps; Winograd's sums differ from that chain by rounding only. An image's result
/// never depends on the other images of its task, so results do not depend on the thread count.
enum DirectConvolution {
    /// Whether the direct kernels' vector loops run on this processor.
    static let isAvailable = studio_avx512_available() != 0

    private enum Method { case flat3x3, winograd3x3, channels, transposed }

    /// One direct convolution: its kernel, stride and padding, and the image sizes it maps between.
    private struct Plan {
        var method: Method
        var channels, outputs: Int
        var height, width, outputHeight, outputWidth: Int
        var kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int)
    }

    /// Whether the forward pass of `g` runs here.
    static func appliesToForward(_ g: ConvGeometry) -> Bool { forwardPlan(g) != nil }

    /// Whether the input gradient of `g` runs here.
    static func appliesToInputGradient(_ g: ConvGeometry) -> Bool { inputGradientPlan(g) != nil }

    /// `[N, C, H, W]` ⋆ `[O, C, kh, kw]` (+ bias `[O]`) (+ addend `[N, O, H', W']` or `[N, O, 1, 1]`)
    /// `-> [N, O, H', W']`; each task adds the addend to its images' output while it is in cache.
    static func forward(_ input: Tensor, _ weight: Tensor, bias: Tensor?, _ g: ConvGeometry,
                        adding addend: Tensor? = nil) -> Tensor {
        run(input, weight, transposed: false, bias: bias, g, forwardPlan(g)!, adding: addend)
    }

    /// The input gradient of a convolution, a transposed convolution: `[N, O, H', W']` with weight
    /// `[O, C, kh, kw]` (+ bias `[C]`) `-> [N, C, H, W]`.
    static func inputGradient(_ upstream: Tensor, _ weight: Tensor, bias: Tensor?, _ g: ConvGeometry) -> Tensor {
        run(upstream, weight, transposed: true, bias: bias, g, inputGradientPlan(g)!)
    }

    private static func forwardPlan(_ g: ConvGeometry) -> Plan? {
        plan(channels: g.inputChannels, outputs: g.outputChannels, height: g.height, width: g.width,
             outputHeight: g.outputHeight, outputWidth: g.outputWidth, kernel: (g.kernelHeight, g.kernelWidth),
             stride: (g.strideY, g.strideX), padding: (g.padY, g.padX))
    }

    private static func inputGradientPlan(_ g: ConvGeometry) -> Plan? {
        if g.strideY > 1 || g.strideX > 1 {
            guard isAvailable, g.inputChannels % 16 == 0 else { return nil }
            return Plan(method: .transposed, channels: g.outputChannels, outputs: g.inputChannels,
                        height: g.outputHeight, width: g.outputWidth, outputHeight: g.height, outputWidth: g.width,
                        kernel: (g.kernelHeight, g.kernelWidth), stride: (g.strideY, g.strideX),
                        padding: (g.padY, g.padX))
        }
        // At stride 1 the input gradient is a plain convolution with padding k - 1 - p, which must not be
        // negative.
        guard g.padY < g.kernelHeight, g.padX < g.kernelWidth,
              g.outputHeight == g.height + 2 * g.padY - g.kernelHeight + 1,
              g.outputWidth == g.width + 2 * g.padX - g.kernelWidth + 1 else { return nil }
        return plan(channels: g.outputChannels, outputs: g.inputChannels, height: g.outputHeight, width: g.outputWidth,
                    outputHeight: g.height, outputWidth: g.width, kernel: (g.kernelHeight, g.kernelWidth),
                    stride: (1, 1), padding: (g.kernelHeight - 1 - g.padY, g.kernelWidth - 1 - g.padX))
    }

    private static func plan(channels: Int, outputs: Int, height: Int, width: Int, outputHeight: Int, outputWidth: Int,
                             kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int)) -> Plan? {
        guard isAvailable else { return nil }
        let same3x3 = kernel == (3, 3) && stride == (1, 1) && padding == (1, 1)
            && outputHeight == height && outputWidth == width
        let method: Method
        if same3x3 && outputs % 16 == 0 && width <= 7 {
            // On rows this narrow the flat kernel's 16-pixel vectors and Winograd's 2x2 tiles spend much of
            // their work on the border, while the channel kernel has whole-row tiles for 7-wide rows that skip
            // the border's taps. A UNet's 7x7 level ran its 64->32 convolution 10-20% faster than by Winograd
            // and 30-50% faster than by the flat kernel.
            method = .channels
        } else if same3x3 && channels >= 64 && outputs >= 64 {
            // Winograd's transforms and its pass through memory cost about as much per tile as its products
            // with 32 channels each way, and more with fewer. Best of ten against the flat kernel, one run:
            // 64->64 at 14x14 and 32x32 and 128->128 at 14x14 ran 10-60% faster, but 16->16, 32->16 and
            // 32->32 at 28x28 30-60% slower and 32->32 and 16->32 at 14x14 no faster.
            method = .winograd3x3
        } else if same3x3 {
            method = .flat3x3
        } else if outputs % 16 == 0 {
            method = .channels
        } else {
            return nil
        }
        return Plan(method: method, channels: channels, outputs: outputs, height: height, width: width,
                    outputHeight: outputHeight, outputWidth: outputWidth, kernel: kernel, stride: stride,
                    padding: padding)
    }

    /// Images per Winograd call: one per vector lane.
    private static let imagesPerCall = 16

    private static func run(_ images: Tensor, _ weight: Tensor, transposed: Bool, bias: Tensor?, _ g: ConvGeometry,
                            _ plan: Plan, adding addend: Tensor? = nil) -> Tensor {
        let batch = g.batch
        let perTask = plan.method == .winograd3x3 ? imagesPerCall : 1
        let tasks = (batch + perTask - 1) / perTask
        let packed: ScratchBuffer, scratchCount: Int
        switch plan.method {
        case .winograd3x3:
            packed = ScratchPool.take(16 * plan.channels * plan.outputs)
            weight.withUnsafeBufferPointer { w in
                studio_winograd3x3_pack(w.baseAddress!, g.outputChannels, g.inputChannels, transposed ? 1 : 0,
                                        packed.pointer)
            }
            scratchCount = studio_winograd3x3_scratch_count(plan.channels, plan.height, plan.width, plan.outputs)
        case .transposed:
            packed = ScratchPool.take(weight.elementCount)
            weight.withUnsafeBufferPointer { w in
                studio_conv_pack_phases(w.baseAddress!, plan.channels, plan.outputs, plan.kernel.0, plan.kernel.1,
                                        plan.stride.0, plan.stride.1, plan.padding.0, plan.padding.1, packed.pointer)
            }
            scratchCount = studio_conv_transposed_scratch_count(plan.channels, plan.height, plan.width, plan.kernel.0,
                                                                plan.kernel.1, plan.stride.0, plan.stride.1,
                                                                plan.padding.0, plan.padding.1, plan.outputs,
                                                                plan.outputHeight, plan.outputWidth)
        case .flat3x3, .channels:
            packed = ScratchPool.take(weight.elementCount)
            weight.withUnsafeBufferPointer { w in
                studio_conv_pack(w.baseAddress!, g.outputChannels, g.inputChannels, g.kernelHeight, g.kernelWidth,
                                 transposed ? 1 : 0, packed.pointer)
            }
            scratchCount = plan.method == .flat3x3
                ? studio_conv3x3_scratch_count(plan.channels, plan.height, plan.width, plan.outputs)
                : studio_conv_channels_scratch_count(plan.channels, plan.height, plan.width, plan.padding.0,
                                                     plan.padding.1, plan.outputs, plan.outputHeight, plan.outputWidth)
        }
        let imageIn = plan.channels * plan.height * plan.width
        let imageOut = plan.outputs * plan.outputHeight * plan.outputWidth
        // Multiply-adds: a transposed convolution does one per input pixel and tap, the others one per output
        // pixel and tap.
        let work = batch * (plan.method == .transposed ? imageIn * plan.outputs : imageOut * plan.channels)
            * plan.kernel.0 * plan.kernel.1
        let addendPerPlane = addend.map { $0.elementCount != batch * imageOut } ?? false
        let result = Tensor(shape: [batch, plan.outputs, plan.outputHeight, plan.outputWidth], unsafeUninitialized: { out in
            let out = out.baseAddress!
            images.withUnsafeBufferPointer { x in
                ConvolutionKernels.withOptionalPointer(bias) { b in
                    ConvolutionKernels.withOptionalPointer(addend) { a in
                        parallelFor(tasks, work: work) { task in
                            let scratch = ScratchPool.take(scratchCount)
                            let first = task * perTask, count = Swift.min(perTask, batch - first)
                            let image = x.baseAddress! + first * imageIn, target = out + first * imageOut
                            switch plan.method {
                            case .winograd3x3:
                                let done = studio_winograd3x3(image, count, plan.channels, plan.height, plan.width,
                                                              packed.pointer, plan.outputs, b, target, scratch.pointer)
                                precondition(done != 0, "Winograd convolution planned on a processor without AVX-512")
                            case .flat3x3:
                                studio_conv3x3(image, plan.channels, plan.height, plan.width, packed.pointer, plan.outputs,
                                               b, target, scratch.pointer)
                            case .channels:
                                studio_conv_channels(image, plan.channels, plan.height, plan.width, packed.pointer,
                                                     plan.outputs, plan.kernel.0, plan.kernel.1, plan.stride.0,
                                                     plan.stride.1, plan.padding.0, plan.padding.1, plan.outputHeight,
                                                     plan.outputWidth, b, target, scratch.pointer)
                            case .transposed:
                                let done = studio_conv_transposed(image, plan.channels, plan.height, plan.width,
                                                                  packed.pointer, plan.outputs, plan.kernel.0,
                                                                  plan.kernel.1, plan.stride.0, plan.stride.1,
                                                                  plan.padding.0, plan.padding.1, plan.outputHeight,
                                                                  plan.outputWidth, b, target, scratch.pointer)
                                precondition(done != 0, "transposed convolution planned on a processor without AVX-512")
                            }
                            if let a {
                                add(a, perPlane: addendPerPlane, to: target,
                                    planes: count * plan.outputs, planeSize: plan.outputHeight * plan.outputWidth,
                                    firstPlane: first * plan.outputs)
                            }
                            withExtendedLifetime(scratch) {}
                        }
                    }
                }
            }
        })
        withExtendedLifetime(packed) {}
        return result
    }

    /// `target[p][i] += addend[firstPlane + p][i]` for `planes` planes of `planeSize` values, or with
    /// `perPlane` one addend value per plane: the same roundings as adding the tensors afterwards.
    private static func add(_ addend: UnsafePointer<Float>, perPlane: Bool, to target: UnsafeMutablePointer<Float>,
                            planes: Int, planeSize: Int, firstPlane: Int) {
        guard perPlane else {
            studio_add_into(target, addend + firstPlane * planeSize, planes * planeSize)
            return
        }
        for p in 0..<planes {
            let value = addend[firstPlane + p], plane = target + p * planeSize
            for i in 0..<planeSize { plane[i] += value }
        }
    }
}
