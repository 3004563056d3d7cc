import CKernels

/// The kernels of a 2-D convolution (forward, input gradient, weight gradient, and the
/// last two of a transposed convolution's backward pass fused), on raw buffers and unrecorded.
///
/// The minibatch is cut into blocks of a few images, each handled start to end by one core with
/// single-threaded GEMMs: im2col, GEMM and col2im then pass data through that core's cache instead
/// of memory. A block holds enough images for about 256 GEMM columns, where OpenBLAS runs near its
/// peak; blocks depend only on the shapes, never on the thread count, so results do not depend on how
/// many threads run. 1x1 convolutions skip im2col in every pass (`PointwiseConvolution`); forward passes
/// and stride-1 input gradients that `DirectConvolution` takes skip it on processors with AVX-512.
enum ConvolutionKernels {
    /// The im2col matrices of a whole minibatch, one `[C·kh·kw, n·H'·W']` block after another, kept
    /// from the forward pass for the weight gradient.
    struct Columns {
        let buffer: ScratchBuffer
        let geometry: ConvGeometry
    }

    private static let targetColumns = 256

    /// The images `start..<start+count` of each block, with the geometry of that block alone. Block
    /// sizes differ by at most one image and their number is a multiple of four (when there are that
    /// many images), so that two or four cores get equal shares.
    private static func blocks(_ g: ConvGeometry) -> [(start: Int, geometry: ConvGeometry)] {
        let perBlock = Swift.max(1, (targetColumns + g.outputPlane - 1) / Swift.max(g.outputPlane, 1))
        var count = (g.batch + perBlock - 1) / perBlock
        if count > 1 { count = Swift.min(g.batch, (count + 3) / 4 * 4) }
        var result: [(start: Int, geometry: ConvGeometry)] = []
        var start = 0
        for index in 0..<count {
            var block = g
            block.batch = g.batch / count + (index < g.batch % count ? 1 : 0)
            result.append((start, block))
            start += block.batch
        }
        return result
    }

    /// `[N, C, H, W] ⋆ [O, C, kh, kw] (+ bias [O]) (+ addend [N, O, H', W'] or [N, O, 1, 1])
    /// -> [N, O, H', W']`; with `keepColumns`, also the im2col matrices, which the weight gradient can reuse.
    static func forward(_ input: Tensor, _ weight: Tensor, bias: Tensor?, _ g: ConvGeometry,
                        keepColumns: Bool, adding addend: Tensor? = nil) -> (value: Tensor, columns: Columns?) {
        // The direct kernels add the addend while each block is in cache; the other paths add it afterwards.
        func added(_ value: Tensor) -> Tensor {
            addend.map { Tensor.broadcastScalars(value, $0, op: "add", AddKernel()) } ?? value
        }
        if PointwiseConvolution.applies(g) { return (added(PointwiseConvolution.forward(input, weight, bias: bias, g)), nil) }
        if DirectConvolution.appliesToForward(g) {
            return (DirectConvolution.forward(input, weight, bias: bias, g, adding: addend), nil)
        }
        let blocks = blocks(g)
        let kept = keepColumns ? ScratchPool.take(g.columnRows * g.columnCount) : nil
        let value = Tensor(shape: g.outputShape, unsafeUninitialized: { out in
            let out = out.baseAddress!
            input.withUnsafeBufferPointer { x in
                weight.withUnsafeBufferPointer { w in
                    withOptionalPointer(bias) { b in
                        parallelBlocks(blocks, g) { start, block in
                            let scratch = kept == nil ? ScratchPool.take(block.columnRows * block.columnCount) : nil
                            let columns = kept.map { $0.pointer + g.columnRows * start * g.outputPlane } ?? scratch!.pointer
                            Im2Col.im2col(x.baseAddress! + start * g.inputChannels * g.inputPlane, block, into: columns)
                            let product = ScratchPool.take(g.outputChannels * block.columnCount)
                            BLAS.gemm(transposeA: false, transposeB: false,
                                      m: g.outputChannels, n: block.columnCount, k: g.columnRows,
                                      a: w.baseAddress!, b: columns, c: product.pointer, parallel: blocks.count == 1)
                            Im2Col.swapLeadingAxes(product.pointer, g.outputChannels, block.batch, inner: g.outputPlane,
                                                   into: out + start * g.outputChannels * g.outputPlane, adding: b)
                            withExtendedLifetime((scratch, product)) {}
                        }
                    }
                }
            }
        })
        return (added(value), kept.map { Columns(buffer: $0, geometry: g) })
    }

    /// The input gradient of a convolution, which is the transposed convolution:
    /// `[N, O, H', W']` with weight `[O, C, kh, kw]` (+ bias `[C]`) `-> [N, C, H, W]`.
    static func inputGradient(_ upstream: Tensor, _ weight: Tensor, bias: Tensor?, _ g: ConvGeometry) -> Tensor {
        if PointwiseConvolution.applies(g) { return PointwiseConvolution.inputGradient(upstream, weight, bias: bias, g) }
        if DirectConvolution.appliesToInputGradient(g) { return DirectConvolution.inputGradient(upstream, weight, bias: bias, g) }
        let blocks = blocks(g)
        return Tensor(shape: g.inputShape, unsafeUninitialized: { out in
            let out = out.baseAddress!
            upstream.withUnsafeBufferPointer { u in
                weight.withUnsafeBufferPointer { w in
                    withOptionalPointer(bias) { b in
                        parallelBlocks(blocks, g) { start, block in
                            let gy = ScratchPool.take(g.outputChannels * block.columnCount)
                            let operand = channelMajor(u.baseAddress!, start: start, block, into: gy.pointer)
                            let columns = ScratchPool.take(block.columnRows * block.columnCount)
                            BLAS.gemm(transposeA: true, transposeB: false,
                                      m: g.columnRows, n: block.columnCount, k: g.outputChannels,
                                      a: w.baseAddress!, b: operand, c: columns.pointer, parallel: blocks.count == 1)
                            Im2Col.col2im(columns.pointer, block, into: out + start * g.inputChannels * g.inputPlane,
                                          bias: b)
                            withExtendedLifetime((gy, columns)) {}
                        }
                    }
                }
            }
        })
    }

    /// The weight gradient: images `[N, C, H, W]` and output gradient `[N, O, H', W']` `-> [O, C, kh, kw]`.
    /// `columns`, when given, holds the im2col matrices of `input`.
    ///
    /// The blocks are summed in two lanes (`sumInTwoLanes`).
    static func weightGradient(_ input: Tensor, _ upstream: Tensor, _ g: ConvGeometry, columns kept: Columns?) -> Tensor {
        precondition(kept == nil || kept!.geometry == g, "conv2d weight gradient: kept im2col matrices are for another shape")
        if PointwiseConvolution.applies(g) { return PointwiseConvolution.weightGradient(input, upstream, g) }
        if kept == nil && DirectConvolution.appliesToWeightGradient(g) {
            return DirectConvolution.weightGradient(input, upstream, g)
        }
        let blocks = blocks(g)
        return Tensor(shape: g.weightShape, unsafeUninitialized: { out in
            input.withUnsafeBufferPointer { x in
                upstream.withUnsafeBufferPointer { u in
                    sumInTwoLanes(blocks.count, count: g.outputChannels * g.columnRows, into: out.baseAddress!) {
                        index, accumulator, overwrite, alone in
                        let (start, block) = blocks[index]
                        let gy = ScratchPool.take(g.outputChannels * block.columnCount)
                        let operand = channelMajor(u.baseAddress!, start: start, block, into: gy.pointer)
                        let scratch = kept == nil ? ScratchPool.take(block.columnRows * block.columnCount) : nil
                        let columns: UnsafeMutablePointer<Float>
                        if let kept {
                            columns = kept.buffer.pointer + g.columnRows * start * g.outputPlane
                        } else {
                            columns = scratch!.pointer
                            Im2Col.im2col(x.baseAddress! + start * g.inputChannels * g.inputPlane, block, into: columns)
                        }
                        BLAS.gemm(transposeA: false, transposeB: true,
                                  m: g.outputChannels, n: g.columnRows, k: block.columnCount,
                                  a: operand, b: columns, beta: overwrite ? 0 : 1, c: accumulator, parallel: alone)
                        withExtendedLifetime((gy, scratch)) {}
                    }
                }
            }
            withExtendedLifetime(kept?.buffer) {}
        })
    }

    /// `forward(input, weight)` and `weightGradient(input, upstream)` at once, with the same bits, each
    /// im2col block feeding both GEMMs while it is in cache: the two pullbacks of a transposed
    /// convolution need exactly this pair.
    static func forwardAndWeightGradient(_ input: Tensor, _ weight: Tensor, _ upstream: Tensor,
                                         _ g: ConvGeometry) -> (value: Tensor, weightGradient: Tensor) {
        if PointwiseConvolution.applies(g) || DirectConvolution.appliesToForward(g) {
            return (forward(input, weight, bias: nil, g, keepColumns: false).value, weightGradient(input, upstream, g, columns: nil))
        }
        let blocks = blocks(g)
        var gradient = Tensor(zeros: [])
        let value = Tensor(shape: g.outputShape, unsafeUninitialized: { out in
            let out = out.baseAddress!
            gradient = Tensor(shape: g.weightShape, unsafeUninitialized: { dw in
                input.withUnsafeBufferPointer { x in
                    weight.withUnsafeBufferPointer { w in
                        upstream.withUnsafeBufferPointer { u in
                            sumInTwoLanes(blocks.count, count: g.outputChannels * g.columnRows, into: dw.baseAddress!) {
                                index, accumulator, overwrite, alone in
                                let (start, block) = blocks[index]
                                let columns = ScratchPool.take(block.columnRows * block.columnCount)
                                Im2Col.im2col(x.baseAddress! + start * g.inputChannels * g.inputPlane, block,
                                              into: columns.pointer)
                                let product = ScratchPool.take(g.outputChannels * block.columnCount)
                                BLAS.gemm(transposeA: false, transposeB: false,
                                          m: g.outputChannels, n: block.columnCount, k: g.columnRows,
                                          a: w.baseAddress!, b: columns.pointer, c: product.pointer, parallel: alone)
                                Im2Col.swapLeadingAxes(product.pointer, g.outputChannels, block.batch,
                                                       inner: g.outputPlane,
                                                       into: out + start * g.outputChannels * g.outputPlane)
                                let operand = channelMajor(u.baseAddress!, start: start, block, into: product.pointer)
                                BLAS.gemm(transposeA: false, transposeB: true,
                                          m: g.outputChannels, n: g.columnRows, k: block.columnCount,
                                          a: operand, b: columns.pointer, beta: overwrite ? 0 : 1,
                                          c: accumulator, parallel: alone)
                                withExtendedLifetime((columns, product)) {}
                            }
                        }
                    }
                }
            })
        })
        return (value, gradient)
    }

    /// Images `start ..< start + block.batch` of an output gradient `[N, O, H', W']` as the `[O, n·H'·W']`
    /// operand of their block's GEMMs: one image's gradient has that layout already and is used in place;
    /// several are swapped into `buffer`.
    private static func channelMajor(_ upstream: UnsafePointer<Float>, start: Int, _ block: ConvGeometry,
                                     into buffer: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        let images = upstream + start * block.outputChannels * block.outputPlane
        guard block.batch > 1 else { return images }
        Im2Col.swapLeadingAxes(images, block.batch, block.outputChannels, inner: block.outputPlane, into: buffer)
        return UnsafePointer(buffer)
    }

    /// Sums the contributions of `items` into `out[count]` in two lanes, each adding a fixed half of the
    /// items, in order, into its own accumulator; the second lane's is then added to the first. The halves
    /// depend on `items` alone, so the bits never depend on the thread count. `body(item, accumulator,
    /// overwrite, alone)` adds one item (overwriting the accumulator when `overwrite`); `alone` is true when
    /// a single lane runs, which may then spread its own work over the threads. No items give zeros.
    static func sumInTwoLanes(_ items: Int, count: Int, into out: UnsafeMutablePointer<Float>,
                              _ body: (_ item: Int, _ accumulator: UnsafeMutablePointer<Float>, _ overwrite: Bool,
                                       _ alone: Bool) -> Void) {
        guard items > 0 else {
            out.update(repeating: 0, count: count)
            return
        }
        let lanes = Swift.min(2, items), share = (items + lanes - 1) / lanes
        let second = lanes > 1 ? ScratchPool.take(count) : nil
        parallelFor(lanes, work: Int.max) { lane in
            let accumulator = lane == 0 ? out : second!.pointer
            for item in (lane * share)..<Swift.min(items, (lane + 1) * share) {
                body(item, accumulator, item == lane * share, lanes == 1)
            }
        }
        if let second {
            let addend = second.pointer
            parallelChunks(count) { range in
                studio_add_into(out + range.lowerBound, addend + range.lowerBound, range.count)
            }
        }
        withExtendedLifetime(second) {}
    }

    /// Runs `body` for every block, spread over the compute threads. Its GEMMs spread their own panels
    /// only when there is a single block (one image, say), so that the two levels do not compete;
    /// panels are cut by shape, so the bits are the same either way.
    private static func parallelBlocks(_ blocks: [(start: Int, geometry: ConvGeometry)], _ g: ConvGeometry,
                                       _ body: (Int, ConvGeometry) -> Void) {
        parallelFor(blocks.count, work: Int.max) { index in body(blocks[index].start, blocks[index].geometry) }
    }

    /// `body` with a pointer to `tensor`'s scalars, or with nil when there is no tensor.
    static func withOptionalPointer<R>(_ tensor: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let tensor else { return body(nil) }
        return tensor.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
