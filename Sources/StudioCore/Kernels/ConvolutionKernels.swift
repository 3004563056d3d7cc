/// The three GEMM-based kernels of a 2-D convolution, on raw buffers and unrecorded. Each covers the
/// whole minibatch with one GEMM over the `[C·kh·kw, N·H'·W']` im2col matrix, since N small GEMMs
/// with `H'·W'` columns each run far below peak.
enum ConvolutionKernels {
    /// `[N, C, H, W] ⋆ [O, C, kh, kw] (+ bias [O]) -> [N, O, H', W']`, with the im2col matrix it built,
    /// which the weight gradient can reuse.
    static func forward(_ input: Tensor, _ weight: Tensor, bias: Tensor?,
                        _ g: ConvGeometry) -> (value: Tensor, columns: ScratchBuffer) {
        _ = BLAS.coreName
        let columns = ScratchPool.take(g.columnRows * g.columnCount)
        input.withUnsafeBufferPointer { Im2Col.im2col($0.baseAddress!, g, into: columns.pointer) }
        let product = ScratchPool.take(g.outputChannels * g.columnCount)
        weight.withUnsafeBufferPointer { w in
            BLAS.gemm(transposeA: false, transposeB: false,
                      m: g.outputChannels, n: g.columnCount, k: g.columnRows,
                      a: w.baseAddress!, b: columns.pointer, c: product.pointer)
        }
        let value = Tensor(shape: g.outputShape, unsafeUninitialized: { out in
            withOptionalPointer(bias) { b in
                Im2Col.swapLeadingAxes(product.pointer, g.outputChannels, g.batch, inner: g.outputPlane,
                                       into: out.baseAddress!, adding: b)
            }
        })
        withExtendedLifetime(product) {}
        return (value, columns)
    }

    /// The input gradient of a convolution, which is the transposed convolution:
    /// `[N, O, H', W']` with weight `[O, C, kh, kw]` (+ bias `[C]`) `-> [N, C, H, W]`.
    static func inputGradient(_ upstream: Tensor, _ weight: Tensor, bias: Tensor?, _ g: ConvGeometry) -> Tensor {
        _ = BLAS.coreName
        let columns = ScratchPool.take(g.columnRows * g.columnCount)
        withChannelMajor(upstream, g) { gy in
            weight.withUnsafeBufferPointer { w in
                BLAS.gemm(transposeA: true, transposeB: false,
                          m: g.columnRows, n: g.columnCount, k: g.outputChannels,
                          a: w.baseAddress!, b: gy, c: columns.pointer)
            }
        }
        let value = Tensor(shape: g.inputShape, unsafeUninitialized: { out in
            withOptionalPointer(bias) { b in Im2Col.col2im(columns.pointer, g, into: out.baseAddress!, bias: b) }
        })
        withExtendedLifetime(columns) {}
        return value
    }

    /// The weight gradient: images `[N, C, H, W]` and output gradient `[N, O, H', W']` `-> [O, C, kh, kw]`.
    /// `columns`, when given, is the im2col matrix of `input`.
    static func weightGradient(_ input: Tensor, _ upstream: Tensor, _ g: ConvGeometry,
                               columns given: ScratchBuffer?) -> Tensor {
        _ = BLAS.coreName
        let columns: ScratchBuffer
        if let given {
            columns = given
        } else {
            columns = ScratchPool.take(g.columnRows * g.columnCount)
            input.withUnsafeBufferPointer { Im2Col.im2col($0.baseAddress!, g, into: columns.pointer) }
        }
        let value = withChannelMajor(upstream, g) { gy in
            Tensor(shape: g.weightShape, unsafeUninitialized: { out in
                BLAS.gemm(transposeA: false, transposeB: true,
                          m: g.outputChannels, n: g.columnRows, k: g.columnCount,
                          a: gy, b: columns.pointer, c: out.baseAddress!)
            })
        }
        withExtendedLifetime(columns) {}
        return value
    }

    /// Runs `body` on `upstream` (`[N, O, H', W']`) laid out as `[O, N·H'·W']`, copying only when N > 1.
    private static func withChannelMajor<R>(_ upstream: Tensor, _ g: ConvGeometry,
                                            _ body: (UnsafePointer<Float>) -> R) -> R {
        upstream.withUnsafeBufferPointer { source in
            if g.batch == 1 { return body(source.baseAddress!) }
            let scratch = ScratchPool.take(g.outputChannels * g.columnCount)
            Im2Col.swapLeadingAxes(source.baseAddress!, g.batch, g.outputChannels, inner: g.outputPlane,
                                   into: scratch.pointer)
            let result = body(scratch.pointer)
            withExtendedLifetime(scratch) {}
            return result
        }
    }

    private static func withOptionalPointer<R>(_ tensor: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let tensor else { return body(nil) }
        return tensor.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
