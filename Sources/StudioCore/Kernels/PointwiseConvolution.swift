/// 1x1 convolutions with stride 1 and no padding (a UNet's skip paths and attention projections): each
/// image `[C, H·W]` is already the matrix a GEMM wants, so all three passes are one single-threaded GEMM
/// per image straight on the tensors, without the padded copy, im2col matrix or transposes of the
/// general kernels.
///
/// Images are spread over the compute threads one whole image at a time, and the weight gradient sums
/// images in two fixed halves, so results do not depend on the thread count.
enum PointwiseConvolution {
    /// Whether `g` is a 1x1, stride-1, unpadded convolution.
    static func applies(_ g: ConvGeometry) -> Bool {
        g.kernelHeight == 1 && g.kernelWidth == 1 && g.strideY == 1 && g.strideX == 1 && g.padY == 0 && g.padX == 0
            && g.outputHeight == g.height && g.outputWidth == g.width
    }

    /// `[N, C, H, W]` · `[O, C, 1, 1]` (+ bias `[O]`) `-> [N, O, H, W]`.
    static func forward(_ input: Tensor, _ weight: Tensor, bias: Tensor?, _ g: ConvGeometry) -> Tensor {
        product(input, weight, transposed: false, bias: bias, g)
    }

    /// The input gradient, `Wᵀ · dY` per image: `[N, O, H, W]` with weight `[O, C, 1, 1]` (+ bias `[C]`)
    /// `-> [N, C, H, W]`.
    static func inputGradient(_ upstream: Tensor, _ weight: Tensor, bias: Tensor?, _ g: ConvGeometry) -> Tensor {
        product(upstream, weight, transposed: true, bias: bias, g)
    }

    /// The weight gradient `Σₙ dYₙ · Xₙᵀ`: images `[N, C, H, W]` and output gradient `[N, O, H, W]`
    /// `-> [O, C, 1, 1]`.
    static func weightGradient(_ input: Tensor, _ upstream: Tensor, _ g: ConvGeometry) -> Tensor {
        let plane = g.inputPlane, channels = g.inputChannels, outputs = g.outputChannels
        return Tensor(shape: g.weightShape, unsafeUninitialized: { out in
            input.withUnsafeBufferPointer { x in
                upstream.withUnsafeBufferPointer { u in
                    ConvolutionKernels.sumInTwoLanes(g.batch, count: outputs * channels, into: out.baseAddress!) {
                        n, accumulator, overwrite, _ in
                        BLAS.gemm(transposeA: false, transposeB: true, m: outputs, n: channels, k: plane,
                                  a: u.baseAddress! + n * outputs * plane, b: x.baseAddress! + n * channels * plane,
                                  beta: overwrite ? 0 : 1, c: accumulator, parallel: false)
                    }
                }
            }
        })
    }

    /// Per image, `W · x` (or `Wᵀ · x` when `transposed`), then the bias added to each output row.
    private static func product(_ images: Tensor, _ weight: Tensor, transposed: Bool, bias: Tensor?,
                                _ g: ConvGeometry) -> Tensor {
        let plane = g.inputPlane
        let (channels, outputs) = transposed ? (g.outputChannels, g.inputChannels) : (g.inputChannels, g.outputChannels)
        return Tensor(shape: [g.batch, outputs, g.height, g.width], unsafeUninitialized: { out in
            let out = out.baseAddress!
            images.withUnsafeBufferPointer { x in
                weight.withUnsafeBufferPointer { w in
                    ConvolutionKernels.withOptionalPointer(bias) { b in
                        parallelFor(g.batch, work: g.batch * plane * channels * outputs) { n in
                            let target = out + n * outputs * plane
                            BLAS.gemm(transposeA: transposed, transposeB: false, m: outputs, n: plane, k: channels,
                                      a: w.baseAddress!, b: x.baseAddress! + n * channels * plane, c: target,
                                      parallel: false)
                            guard let b else { return }
                            for o in 0..<outputs {
                                let row = target + o * plane, shift = b[o]
                                for i in 0..<plane { row[i] += shift }
                            }
                        }
                    }
                }
            }
        })
    }
}
