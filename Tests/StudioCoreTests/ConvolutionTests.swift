import XCTest
@testable import StudioCore

/// Convolutions, pooling and upsampling: values against direct loops written here, gradients
/// against central differences, and second derivatives through a small network.
final class ConvolutionTests: XCTestCase {
    private var generator = RandomGenerator(seed: 11)

    private func random(_ shape: Shape) -> Tensor {
        Tensor.randomUniform(shape, lower: -1, upper: 1, using: &generator)
    }

    private func assertGradients(_ name: String, _ inputs: [Tensor], epsilon: Float = 1e-2,
                                 file: StaticString = #filePath, line: UInt = #line,
                                 _ f: @escaping ([Tensor]) -> Tensor) {
        let report = checkGradients(of: f, at: inputs, epsilon: epsilon)
        XCTAssertLessThan(report.maxError, 1e-2, "\(name): \(report)", file: file, line: line)
    }

    private func assertClose(_ actual: Tensor, _ expected: Tensor, _ name: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.shape, expected.shape, name, file: file, line: line)
        XCTAssertTrue(actual.isClose(to: expected, absolute: 1e-4, relative: 1e-4),
                      "\(name): \(actual) against \(expected)", file: file, line: line)
    }

    // MARK: Direct reference loops

    /// The seven-loop convolution, accumulated in Double.
    private func directConv2d(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride: (Int, Int), padding: (Int, Int)) -> Tensor {
        let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (o, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        let outH = (h + 2 * padding.0 - kh) / stride.0 + 1, outW = (wd + 2 * padding.1 - kw) / stride.1 + 1
        var out = [Float](repeating: 0, count: n * o * outH * outW)
        for ni in 0..<n { for oi in 0..<o { for oy in 0..<outH { for ox in 0..<outW {
            var total = Double(b?.scalars[oi] ?? 0)
            for ci in 0..<c { for i in 0..<kh { for j in 0..<kw {
                let iy = oy * stride.0 + i - padding.0, ix = ox * stride.1 + j - padding.1
                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                total += Double(x[ni, ci, iy, ix]) * Double(w[oi, ci, i, j])
            } } }
            out[((ni * o + oi) * outH + oy) * outW + ox] = Float(total)
        } } } }
        return Tensor(shape: [n, o, outH, outW], scalars: out)
    }

    /// The transposed convolution as a scatter of every input scalar times the kernel.
    private func directConvTranspose2d(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride: (Int, Int),
                                       padding: (Int, Int), outputPadding: (Int, Int)) -> Tensor {
        let (n, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, kh, kw) = (w.shape[1], w.shape[2], w.shape[3])
        let outH = (h - 1) * stride.0 - 2 * padding.0 + kh + outputPadding.0
        let outW = (wd - 1) * stride.1 - 2 * padding.1 + kw + outputPadding.1
        var out = [Double](repeating: 0, count: n * cout * outH * outW)
        for ni in 0..<n { for co in 0..<cout { for y in 0..<outH { for xo in 0..<outW {
            out[((ni * cout + co) * outH + y) * outW + xo] = Double(b?.scalars[co] ?? 0)
        } } } }
        for ni in 0..<n { for ci in 0..<cin { for iy in 0..<h { for ix in 0..<wd {
            for co in 0..<cout { for i in 0..<kh { for j in 0..<kw {
                let y = iy * stride.0 + i - padding.0, xo = ix * stride.1 + j - padding.1
                guard y >= 0, y < outH, xo >= 0, xo < outW else { continue }
                out[((ni * cout + co) * outH + y) * outW + xo] += Double(x[ni, ci, iy, ix]) * Double(w[ci, co, i, j])
            } } }
        } } } }
        return Tensor(shape: [n, cout, outH, outW], scalars: out.map(Float.init))
    }

    private func directPool(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int), _ reduce: ([Float]) -> Float) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let outH = (h - kernel.0) / stride.0 + 1, outW = (w - kernel.1) / stride.1 + 1
        var out: [Float] = []
        for ni in 0..<n { for ci in 0..<c { for oy in 0..<outH { for ox in 0..<outW {
            var window: [Float] = []
            for i in 0..<kernel.0 { for j in 0..<kernel.1 { window.append(x[ni, ci, oy * stride.0 + i, ox * stride.1 + j]) } }
            out.append(reduce(window))
        } } } }
        return Tensor(shape: [n, c, outH, outW], scalars: out)
    }

    // MARK: Values

    func testConv2dMatchesDirectLoops() {
        let x = random([3, 5, 9, 7]), w = random([4, 5, 3, 5]), b = random([4])
        for (stride, padding) in [((1, 1), (0, 0)), ((2, 1), (1, 2)), ((2, 2), (2, 2)), ((3, 2), (0, 1))] {
            assertClose(x.conv2d(weight: w, bias: b, stride: stride, padding: padding),
                        directConv2d(x, w, b, stride: stride, padding: padding), "conv2d s\(stride) p\(padding)")
        }
        // "Same" stride-1 convolutions copy whole runs of a plane; some taps here see no valid row at all.
        for size in [2, 3, 7] {
            let image = random([2, 3, size, size]), kernel = random([2, 3, 5, 5])
            assertClose(image.conv2d(weight: kernel, padding: (2, 2)),
                        directConv2d(image, kernel, nil, stride: (1, 1), padding: (2, 2)), "same conv2d \(size)x\(size)")
        }
        let square = random([2, 5, 4, 4])
        assertClose(x.conv2d(weight: square, stride: (2, 2), padding: (2, 2)),
                    directConv2d(x, square, nil, stride: (2, 2), padding: (2, 2)), "conv2d without bias")
    }

    func testConvTranspose2dMatchesDirectLoops() {
        let x = random([2, 4, 5, 3]), w = random([4, 3, 5, 4]), b = random([3])
        let cases: [((Int, Int), (Int, Int), (Int, Int))] = [
            ((1, 1), (0, 0), (0, 0)), ((2, 2), (2, 2), (1, 1)), ((2, 3), (1, 2), (0, 2)), ((1, 1), (2, 1), (0, 0)),
        ]
        for (stride, padding, outputPadding) in cases {
            let value = x.convTranspose2d(weight: w, bias: b, stride: stride, padding: padding, outputPadding: outputPadding)
            assertClose(value, directConvTranspose2d(x, w, b, stride: stride, padding: padding, outputPadding: outputPadding),
                        "convTranspose2d s\(stride) p\(padding) op\(outputPadding)")
        }
        // DCGAN's upsampling layer: 7x7 -> 14x14.
        let y = x.convTranspose2d(weight: w, stride: (2, 2), padding: (2, 2), outputPadding: (1, 1))
        XCTAssertEqual(y.shape, [2, 3, 10, 5])
    }

    func testOneDimensionalConvolutionsMatchTwoDimensionalOnes() {
        let x = random([2, 3, 11]), w = random([5, 3, 4]), b = random([5])
        let direct = directConv2d(x.reshaped(to: [2, 3, 1, 11]), w.reshaped(to: [5, 3, 1, 4]), b,
                                  stride: (1, 3), padding: (0, 2))
        assertClose(x.conv1d(weight: w, bias: b, stride: 3, padding: 2), direct.reshaped(to: [2, 5, 4]), "conv1d")

        let wt = random([3, 2, 5]), bt = random([2])
        let directT = directConvTranspose2d(x.reshaped(to: [2, 3, 1, 11]), wt.reshaped(to: [3, 2, 1, 5]), bt,
                                            stride: (1, 2), padding: (0, 2), outputPadding: (0, 1))
        assertClose(x.convTranspose1d(weight: wt, bias: bt, stride: 2, padding: 2, outputPadding: 1),
                    directT.reshaped(to: [2, 2, 22]), "convTranspose1d")
    }

    func testPoolingAndUpsamplingMatchDirectLoops() {
        let x = random([2, 3, 7, 8])
        assertClose(x.avgPool2d(kernelSize: (3, 2), stride: (2, 2)),
                    directPool(x, kernel: (3, 2), stride: (2, 2)) { $0.reduce(0, +) / Float($0.count) }, "avgPool2d")
        assertClose(x.maxPool2d(kernelSize: (2, 3), stride: (2, 1)),
                    directPool(x, kernel: (2, 3), stride: (2, 1)) { $0.max()! }, "maxPool2d")
        let small = Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
        assertClose(small.upsampledNearest(scale: 2),
                    Tensor(shape: [1, 1, 4, 4], scalars: [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]), "upsample 2-D")
        let planes = random([2, 3, 3, 5]), up = planes.upsampledNearest(scale: 2)
        XCTAssertEqual(up.shape, [2, 3, 6, 10])
        for n in 0..<2 { for c in 0..<3 { for y in 0..<6 { for xo in 0..<10 {
            XCTAssertEqual(up[n, c, y, xo], planes[n, c, y / 2, xo / 2], "upsample 2-D at \([n, c, y, xo])")
        } } } }
        assertClose(Tensor(shape: [1, 2, 2], scalars: [1, 2, 3, 4]).upsampledNearest(scale: 3),
                    Tensor(shape: [1, 2, 6], scalars: [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]), "upsample 1-D")
        // The pullback sums each block: directly, and as a recorded average pool while a graph is built.
        for (shape, scale) in [([2, 3, 5, 7], 2), ([1, 2, 4, 3], 3)] as [([Int], Int)] {
            let x = random(Shape(shape)).requiringGradient()
            let seed = random(Shape([shape[0], shape[1], shape[2] * scale, shape[3] * scale]))
            let direct = gradients(of: (x.upsampledNearest(scale: scale) * seed).sum(), withRespectTo: [x])[0]!
            let recorded = gradients(of: (x.upsampledNearest(scale: scale) * seed).sum(), withRespectTo: [x],
                                     createGraph: true)[0]!
            let sums = seed.avgPool2d(kernelSize: (scale, scale), stride: (scale, scale)) * Float(scale * scale)
            assertClose(direct, sums, "upsample pullback, scale \(scale)")
            assertClose(recorded, sums, "recorded upsample pullback, scale \(scale)")
        }
    }

    // MARK: Gradients

    func testConvolutionGradients() {
        assertGradients("conv2d stride padding bias", [random([2, 3, 5, 4]), random([4, 3, 3, 2]), random([4])]) {
            $0[0].conv2d(weight: $0[1], bias: $0[2], stride: (2, 1), padding: (1, 2))
        }
        assertGradients("convTranspose2d stride 2 output padding", [random([2, 3, 3, 2]), random([3, 2, 3, 3]), random([2])]) {
            $0[0].convTranspose2d(weight: $0[1], bias: $0[2], stride: (2, 2), padding: (1, 1), outputPadding: (1, 1))
        }
        assertGradients("conv1d", [random([2, 3, 7]), random([2, 3, 3]), random([2])]) {
            $0[0].conv1d(weight: $0[1], bias: $0[2], stride: 2, padding: 1)
        }
        assertGradients("convTranspose1d", [random([2, 3, 4]), random([3, 2, 4]), random([2])]) {
            $0[0].convTranspose1d(weight: $0[1], bias: $0[2], stride: 2, padding: 1, outputPadding: 1)
        }
    }

    func testPoolingGradients() {
        assertGradients("avgPool2d overlapping", [random([2, 2, 5, 6])]) {
            $0[0].avgPool2d(kernelSize: (3, 2), stride: (2, 1))
        }
        var order = Array(0..<(2 * 2 * 5 * 6)).map(Float.init)
        order.shuffle(using: &generator)
        let separated = Tensor(shape: [2, 2, 5, 6], scalars: order.map { $0 * 0.1 - 3 })
        assertGradients("maxPool2d", [separated]) { $0[0].maxPool2d(kernelSize: (2, 3), stride: (2, 2)) }
        assertGradients("upsampledNearest 2-D", [random([1, 2, 3, 2])]) { $0[0].upsampledNearest(scale: 2) }
        assertGradients("upsampledNearest 1-D", [random([2, 2, 3])]) { $0[0].upsampledNearest(scale: 3) }
    }

    /// A gradient penalty differentiates the input gradient of a network with respect to its weights.
    func testSecondOrderThroughConvolutions() {
        let x = random([2, 2, 5, 5]), w1 = random([3, 2, 3, 3]), w2 = random([2, 3, 3, 3])
        assertGradients("input-gradient norm of conv -> leakyRelu -> conv", [x, w1, w2], epsilon: 1e-3) { t in
            let y = t[0].conv2d(weight: t[1], padding: (1, 1)).leakyRelu(slope: 0.2).conv2d(weight: t[2], stride: (2, 2))
            let gx = gradients(of: y.sum(), withRespectTo: [t[0]], createGraph: true)[0]!
            return gx.squared().sum()
        }
        // The input gradient itself is the output here: its norm would reach ~1e6, past Float's precision for differences.
        let z = random([2, 3, 3, 3]), wt = random([3, 2, 4, 4]) * 0.5, wc = random([4, 2, 3, 3]) * 0.5
        assertGradients("input gradient of convTranspose -> leakyRelu -> conv", [z, wt, wc], epsilon: 1e-3) { t in
            let y = t[0].convTranspose2d(weight: t[1], stride: (2, 2), padding: (1, 1)).leakyRelu(slope: 0.2)
                .conv2d(weight: t[2], stride: (2, 2), padding: (1, 1))
            return gradients(of: y.squared().sum(), withRespectTo: [t[0]], createGraph: true)[0]!
        }
        assertGradients("weight-gradient norm of conv", [x, w1]) { t in
            let y = t[0].conv2d(weight: t[1], stride: (2, 2), padding: (1, 1))
            let gw = gradients(of: y.squared().sum(), withRespectTo: [t[1]], createGraph: true)[0]!
            return gw.squared().sum()
        }
    }

    /// Both pullbacks of a transposed convolution are computed together when both are needed; the
    /// result must be the same bits as either alone. Two strides, and four GEMM blocks in two lanes.
    func testTransposedConvolutionGradientsMatchSeparateCalls() {
        for (shape, stride, padding, outputPadding) in [([3, 4, 3, 3], 2, 2, 1), ([5, 4, 10, 10], 1, 1, 0)] {
            let x = random(Shape(shape)), w = random([4, 2, 5, 5])
            let probe = x.convTranspose2d(weight: w, stride: (stride, stride), padding: (padding, padding),
                                          outputPadding: (outputPadding, outputPadding))
            let upstream = random(probe.shape)
            func grads(_ xNeeds: Bool, _ wNeeds: Bool) -> [Tensor?] {
                let xl = xNeeds ? x.requiringGradient() : x, wl = wNeeds ? w.requiringGradient() : w
                let y = xl.convTranspose2d(weight: wl, stride: (stride, stride), padding: (padding, padding),
                                           outputPadding: (outputPadding, outputPadding))
                return gradients(of: y, withRespectTo: [xl, wl], seed: upstream)
            }
            let both = grads(true, true)
            XCTAssertEqual(both[0]!.scalars, grads(true, false)[0]!.scalars, "input gradient, input \(shape)")
            XCTAssertEqual(both[1]!.scalars, grads(false, true)[1]!.scalars, "weight gradient, input \(shape)")
            let reference = directConv2d(upstream, w, nil, stride: (stride, stride), padding: (padding, padding))
            assertClose(both[0]!, reference, "input gradient against direct loops, input \(shape)")
        }
    }

    /// Outputs of 100 positions put two images in a GEMM block, so a batch of 5 spans three blocks in two lanes.
    func testMultiBlockMinibatchesMatchDirectLoopsOnAnyThreadCount() {
        let x = random([5, 2, 10, 10]), w = random([3, 2, 3, 3]), b = random([3])
        assertClose(x.conv2d(weight: w, bias: b, padding: (1, 1)), directConv2d(x, w, b, stride: (1, 1), padding: (1, 1)),
                    "blocked conv2d")
        let wt = random([2, 3, 3, 3])
        assertClose(x.convTranspose2d(weight: wt, padding: (1, 1)),
                    directConvTranspose2d(x, wt, nil, stride: (1, 1), padding: (1, 1), outputPadding: (0, 0)),
                    "blocked convTranspose2d")
        assertGradients("blocked conv2d", [random([3, 1, 10, 10]), random([2, 1, 3, 3])]) {
            $0[0].conv2d(weight: $0[1], padding: (1, 1))
        }
        assertGradients("blocked convTranspose2d", [random([3, 2, 10, 10]), random([2, 1, 3, 3])]) {
            $0[0].convTranspose2d(weight: $0[1], padding: (1, 1))
        }

        func gradientBits(threads: Int) -> [[Float]] {
            let saved = ComputeThreads.count
            ComputeThreads.count = threads
            defer { ComputeThreads.count = saved }
            let input = x.requiringGradient(), weight = w.requiringGradient()
            let y = input.conv2d(weight: weight, bias: b, padding: (1, 1))
            return gradients(of: (y * y).sum(), withRespectTo: [input, weight]).map { $0!.scalars }
        }
        XCTAssertEqual(gradientBits(threads: 1), gradientBits(threads: 2), "gradients differ between thread counts")
    }

    /// `conv2d(adding:)` gives the bits of `conv2d(...) + addend`, values and gradients, for a residual and
    /// for a shift per image and channel, on each kernel: Winograd (16 channels, 17 images: two calls), the
    /// channel kernel (7x7), the flat 3x3 kernel (3 channels), 1x1 convolutions and im2col (stride 2, 9
    /// outputs).
    func testConvolutionAddingAnAddendEqualsTheSumAfterwards() {
        let cases: [(batch: Int, channels: Int, outputs: Int, size: Int, kernel: Int, stride: Int, padding: Int)] = [
            (17, 16, 16, 6, 3, 1, 1), (3, 8, 32, 7, 3, 1, 1), (2, 3, 5, 9, 3, 1, 1), (2, 6, 4, 5, 1, 1, 0),
            (2, 4, 9, 8, 3, 2, 1),
        ]
        for (batch, channels, outputs, size, kernel, stride, padding) in cases {
            let x = random([batch, channels, size, size]), w = random([outputs, channels, kernel, kernel])
            let b = random([outputs])
            let out = (size + 2 * padding - kernel) / stride + 1
            for addendShape: Shape in [[batch, outputs, out, out], [batch, outputs, 1, 1]] {
                let name = "\(batch)x\(channels)->\(outputs) \(size)x\(size) k\(kernel) s\(stride), addend \(addendShape)"
                let addend = random(addendShape)
                let inputs = [x, w, b, addend].map { $0.requiringGradient() }
                let fused = inputs[0].conv2d(weight: inputs[1], bias: inputs[2], stride: (stride, stride),
                                             padding: (padding, padding), adding: inputs[3])
                let separate = inputs[0].conv2d(weight: inputs[1], bias: inputs[2], stride: (stride, stride),
                                                padding: (padding, padding)) + inputs[3]
                XCTAssertEqual(fused.scalars.map(\.bitPattern), separate.scalars.map(\.bitPattern), name)
                let seed = random(fused.shape)
                let fusedGradients = gradients(of: fused, withRespectTo: inputs, seed: seed)
                let separateGradients = gradients(of: separate, withRespectTo: inputs, seed: seed)
                for (index, (f, s)) in zip(fusedGradients, separateGradients).enumerated() {
                    XCTAssertEqual(f?.scalars.map(\.bitPattern), s?.scalars.map(\.bitPattern), "\(name), gradient \(index)")
                }
            }
        }
    }
}
