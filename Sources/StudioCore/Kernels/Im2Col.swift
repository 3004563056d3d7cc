/// The sizes of one 2-D convolution `[N, C, H, W] ⋆ [O, C, kh, kw] -> [N, O, H', W']`, shared by its
/// forward pass, its input gradient (the transposed convolution) and its weight gradient.
struct ConvGeometry: Equatable {
    var batch: Int
    var inputChannels: Int
    var height: Int
    var width: Int
    var outputChannels: Int
    var kernelHeight: Int
    var kernelWidth: Int
    var strideY: Int
    var strideX: Int
    var padY: Int
    var padX: Int
    /// Given rather than derived, because a transposed convolution's output padding makes `height` ambiguous.
    var outputHeight: Int
    var outputWidth: Int

    /// `C·kh·kw`: the rows of the im2col matrix.
    var columnRows: Int { inputChannels * kernelHeight * kernelWidth }
    /// `N·H'·W'`: the columns of the im2col matrix, one per output position of the whole batch.
    var columnCount: Int { batch * outputHeight * outputWidth }
    var outputPlane: Int { outputHeight * outputWidth }
    var inputPlane: Int { height * width }

    var inputShape: Shape { [batch, inputChannels, height, width] }
    var outputShape: Shape { [batch, outputChannels, outputHeight, outputWidth] }
    var weightShape: Shape { [outputChannels, inputChannels, kernelHeight, kernelWidth] }

    /// The output positions `o` along one axis whose tap `t` reads inside the input:
    /// `0 <= o·stride + t - pad < size`.
    @inline(__always)
    static func validOutputs(tap: Int, size: Int, stride: Int, pad: Int, outputs: Int) -> Range<Int> {
        let low = pad - tap > 0 ? (pad - tap + stride - 1) / stride : 0
        let end = size + pad - tap
        let high = end > 0 ? Swift.min(outputs, (end + stride - 1) / stride) : 0
        return low..<Swift.max(low, high)
    }
}

/// im2col and col2im over a block of images: the column matrix is `[C·kh·kw, N·H'·W']`, so that one
/// GEMM covers the block. Serial: callers run blocks in parallel, each on its own core's cache.
enum Im2Col {
    /// Fills `columns` (`[C·kh·kw, N·H'·W']`) from the images `input` (`[N, C, H, W]`), zeros where a tap falls in the padding.
    static func im2col(_ input: UnsafePointer<Float>, _ g: ConvGeometry, into columns: UnsafeMutablePointer<Float>) {
        let taps = g.kernelHeight * g.kernelWidth
        let perRow = g.columnCount
        let outW = g.outputWidth, sx = g.strideX
        for r in 0..<g.columnRows {
            let c = r / taps, i = (r % taps) / g.kernelWidth, j = r % g.kernelWidth
            let validY = ConvGeometry.validOutputs(tap: i, size: g.height, stride: g.strideY, pad: g.padY,
                                                   outputs: g.outputHeight)
            let validX = ConvGeometry.validOutputs(tap: j, size: g.width, stride: sx, pad: g.padX, outputs: outW)
            let low = validX.lowerBound, high = validX.upperBound
            var dst = columns + r * perRow
            if sx == 1 && g.strideY == 1 && outW == g.width {
                // Rows of input and output are equally long, so every valid row of a tap is one run
                // of the plane: copy the runs of all valid rows at once, then zero the border columns.
                let shift = (i - g.padY) * g.width + j - g.padX
                let first = validY.lowerBound * outW + low, end = (validY.upperBound - 1) * outW + high
                for n in 0..<g.batch {
                    let plane = input + (n * g.inputChannels + c) * g.inputPlane
                    if validY.isEmpty || low >= high {
                        dst.update(repeating: 0, count: g.outputPlane)
                    } else {
                        if first > 0 { dst.update(repeating: 0, count: first) }
                        (dst + first).update(from: plane + (first + shift), count: end - first)
                        if end < g.outputPlane { (dst + end).update(repeating: 0, count: g.outputPlane - end) }
                        if low > 0 || high < outW {
                            for oy in validY {
                                let line = dst + oy * outW
                                for ox in 0..<low { line[ox] = 0 }
                                for ox in high..<outW { line[ox] = 0 }
                            }
                        }
                    }
                    dst += g.outputPlane
                }
                continue
            }
            for n in 0..<g.batch {
                let plane = input + (n * g.inputChannels + c) * g.inputPlane
                for oy in 0..<g.outputHeight {
                    // Rows are a few scalars wide: plain loops beat memcpy and memset calls here.
                    if validY.contains(oy) {
                        let base = (oy * g.strideY + i - g.padY) * g.width + j - g.padX
                        var ox = 0
                        while ox < low { dst[ox] = 0; ox &+= 1 }
                        // Wrapping arithmetic: overflow checks would keep these short loops from being unrolled.
                        let source = plane + base
                        if sx == 1 {
                            while ox < high { dst[ox] = source[ox]; ox &+= 1 }
                        } else {
                            var k = ox &* sx
                            while ox < high { dst[ox] = source[k]; ox &+= 1; k &+= sx }
                        }
                        while ox < outW { dst[ox] = 0; ox &+= 1 }
                    } else {
                        for ox in 0..<outW { dst[ox] = 0 }
                    }
                    dst += outW
                }
            }
        }
    }

    /// Sums the columns (`[C·kh·kw, N·H'·W']`) back onto the images `output` (`[N, C, H, W]`), which it
    /// overwrites, starting each channel at `bias[c]` (or zero).
    static func col2im(_ columns: UnsafePointer<Float>, _ g: ConvGeometry, into output: UnsafeMutablePointer<Float>,
                       bias: UnsafePointer<Float>?) {
        let perRow = g.columnCount
        let sx = g.strideX
        for c in 0..<g.inputChannels {
            let start = bias?[c] ?? 0
            for n in 0..<g.batch {
                (output + (n * g.inputChannels + c) * g.inputPlane).update(repeating: start, count: g.inputPlane)
            }
            for i in 0..<g.kernelHeight {
                let validY = ConvGeometry.validOutputs(tap: i, size: g.height, stride: g.strideY, pad: g.padY,
                                                       outputs: g.outputHeight)
                for j in 0..<g.kernelWidth {
                    let validX = ConvGeometry.validOutputs(tap: j, size: g.width, stride: sx, pad: g.padX,
                                                           outputs: g.outputWidth)
                    let row = columns + ((c * g.kernelHeight + i) * g.kernelWidth + j) * perRow
                    for n in 0..<g.batch {
                        let plane = output + (n * g.inputChannels + c) * g.inputPlane
                        let source = row + n * g.outputPlane
                        for oy in validY {
                            let target = plane + ((oy * g.strideY + i - g.padY) * g.width + j - g.padX)
                            let line = source + oy * g.outputWidth
                            if sx == 1 {
                                for ox in validX { target[ox] += line[ox] }
                            } else {
                                var k = validX.lowerBound &* sx
                                for ox in validX { target[k] += line[ox]; k &+= sx }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Copies `source` viewed as `[A, B, inner]` to `destination` as `[B, A, inner]`, adding `bias[a]`
    /// when given: the step between NCHW images and the channel-major layout GEMM works in.
    static func swapLeadingAxes(_ source: UnsafePointer<Float>, _ a: Int, _ b: Int, inner: Int,
                                into destination: UnsafeMutablePointer<Float>, adding bias: UnsafePointer<Float>? = nil) {
        for bi in 0..<b {
            for ai in 0..<a {
                let src = source + (ai * b + bi) * inner
                let dst = destination + (bi * a + ai) * inner
                if let bias {
                    let shift = bias[ai]
                    for p in 0..<inner { dst[p] = src[p] + shift }
                } else {
                    dst.update(from: src, count: inner)
                }
            }
        }
    }
}
