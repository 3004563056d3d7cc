import CKernels

/// 3x3 convolutions with stride 1 and padding 1 (every convolution of a diffusion UNet's levels and
/// its input gradient), computed straight from a zero-bordered copy of each image by `studio_conv3x3`
/// instead of through an im2col matrix nine times the image's size and a skinny GEMM.
///
/// Used where the processor has AVX-512; elsewhere `ConvolutionKernels` keeps im2col and OpenBLAS.
/// One image is one task, so results do not depend on the thread count.
enum DirectConvolution {
    /// Whether the direct kernel's vector loops run on this processor.
    static let isAvailable = studio_conv3x3_available() != 0

    /// Whether `g` is a convolution the direct kernel takes, on a processor where it is the faster path.
    static func applies(to g: ConvGeometry) -> Bool {
        isAvailable && g.kernelHeight == 3 && g.kernelWidth == 3 && g.strideY == 1 && g.strideX == 1
            && g.padY == 1 && g.padX == 1 && g.outputHeight == g.height && g.outputWidth == g.width
    }

    /// `[N, C, H, W]` ⋆ `[O, C, 3, 3]` (+ bias `[O]`) `-> [N, O, H, W]`.
    static func forward(_ input: Tensor, _ weight: Tensor, bias: Tensor?, _ g: ConvGeometry) -> Tensor {
        run(input, weight, transposed: false, bias: bias, channels: g.inputChannels, outputs: g.outputChannels, g)
    }

    /// The input gradient, itself a 3x3 convolution with the kernel flipped and its channel axes swapped:
    /// `[N, O, H, W]` with weight `[O, C, 3, 3]` (+ bias `[C]`) `-> [N, C, H, W]`.
    static func inputGradient(_ upstream: Tensor, _ weight: Tensor, bias: Tensor?, _ g: ConvGeometry) -> Tensor {
        run(upstream, weight, transposed: true, bias: bias, channels: g.outputChannels, outputs: g.inputChannels, g)
    }

    private static func run(_ images: Tensor, _ weight: Tensor, transposed: Bool, bias: Tensor?,
                            channels: Int, outputs: Int, _ g: ConvGeometry) -> Tensor {
        let (height, width) = (g.height, g.width)
        let packed = ScratchPool.take(weight.elementCount)
        weight.withUnsafeBufferPointer { w in
            studio_conv3x3_pack(w.baseAddress!, g.outputChannels, g.inputChannels, transposed ? 1 : 0, packed.pointer)
        }
        let scratchCount = studio_conv3x3_scratch_count(channels, height, width, outputs)
        let imageIn = channels * height * width, imageOut = outputs * height * width
        let result = Tensor(shape: [g.batch, outputs, height, width], unsafeUninitialized: { out in
            let out = out.baseAddress!
            images.withUnsafeBufferPointer { x in
                ConvolutionKernels.withOptionalPointer(bias) { b in
                    parallelFor(g.batch, work: g.batch * imageOut * channels * 9) { n in
                        let scratch = ScratchPool.take(scratchCount)
                        studio_conv3x3(x.baseAddress! + n * imageIn, channels, height, width, packed.pointer, outputs,
                                       b, out + n * imageOut, scratch.pointer)
                        withExtendedLifetime(scratch) {}
                    }
                }
            }
        })
        withExtendedLifetime(packed) {}
        return result
    }
}
