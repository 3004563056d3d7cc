import CKernels

// MARK: - Batch normalisation as one fused op

/// Per-channel statistics of one batch-normalisation forward pass, each `[C]` and constant.
public struct BatchNormStatistics {
    /// The batch mean of each channel.
    public let mean: Tensor
    /// The biased batch variance (divided by the count), the one used to normalise.
    public let variance: Tensor
    /// The unbiased batch variance (divided by count - 1, NaN for one value), the one running statistics track.
    public let unbiasedVariance: Tensor
}

/// `[N, C, S]` view of a `[N, C, ...]` tensor: batch, channels, and the positions of one channel.
struct ChannelLayout {
    let batch: Int
    let channels: Int
    let positions: Int

    init(_ shape: Shape, op: String) {
        precondition(shape.rank >= 2, "\(op): input must be [N, C, ...], got \(shape)")
        batch = shape[0]
        channels = shape[1]
        positions = shape.dimensions.dropFirst(2).reduce(1, *)
    }

    /// Any `[batch, channels, positions]` view of a buffer of that many scalars.
    init(batch: Int, channels: Int, positions: Int) {
        self.batch = batch
        self.channels = channels
        self.positions = positions
    }

    /// Values per channel.
    var count: Int { batch * positions }
}

extension Tensor {
    /// Normalises each channel (axis 1) by its batch mean and biased variance over every other axis,
    /// then scales by `weight` and shifts by `bias`, as training-mode batch norm:
    /// `[N, C, ...]`, `[C]`, `[C]` -> `[N, C, ...]`, with the batch statistics `[C]`. With `replicas`
    /// (synchronised batch norm) the statistics are those of the whole batch the replicas share, and
    /// the input gradient sums its per-channel terms over them; first-order gradients only.
    public func batchNormalized(weight: Tensor, bias: Tensor, epsilon: Float, replicas: (any StatisticsReplicas)? = nil)
        -> (output: Tensor, statistics: BatchNormStatistics) {
        let layout = ChannelLayout(shape, op: "batchNormalized")
        precondition(weight.shape == [layout.channels] && bias.shape == [layout.channels],
                     "batchNormalized: weight \(weight.shape) and bias \(bias.shape) must be [\(layout.channels)] for input \(shape)")
        precondition(layout.count > 0, "batchNormalized: input \(shape) has no values per channel")
        var (mean, variance) = channelMoments(layout)
        let total = layout.count * (replicas?.count ?? 1)
        if let replicas { (mean, variance) = Self.combine(mean, variance, over: replicas) }
        let inverseDeviation = variance.map { 1 / (Double($0) + Double(epsilon)).squareRoot() }
        // y = x·a + b per channel: a = w/σ, b = bias - mean·a; one pass over the input.
        var scale = [Float](repeating: 0, count: layout.channels)
        var shift = [Float](repeating: 0, count: layout.channels)
        weight.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                for c in 0..<layout.channels {
                    let a = Double(w[c]) * inverseDeviation[c]
                    scale[c] = Float(a)
                    shift[c] = Float(Double(b[c]) - Double(mean[c]) * a)
                }
            }
        }
        let value = scale.withUnsafeBufferPointer { a in
            shift.withUnsafeBufferPointer { b in
                Tensor.mapChannels(layout, self, self, ChannelAffine(scale: a, shift: b))
            }
        }
        // One value per channel has no unbiased variance: NaN, as torch.var gives.
        let unbiasedFactor = total > 1 ? Double(total) / Double(total - 1) : .nan
        let statistics = BatchNormStatistics(
            mean: Tensor([Float](mean)),
            variance: Tensor([Float](variance)),
            unbiasedVariance: Tensor(variance.map { Float(Double($0) * unbiasedFactor) }))

        let backward = BatchNormBackward(input: self, weight: weight, layout: layout, mean: mean,
                                         inverseDeviation: inverseDeviation, epsilon: epsilon, replicas: replicas)
        return (Tensor.record("batchNorm", value,
                              (self, { backward.inputGradient($0) }),
                              (weight, { backward.weightGradient($0) }),
                              (bias, { backward.biasGradient($0) })),
                statistics)
    }

    /// Each row of `[R, M]` (the tensor viewed so, `rows` · M = elementCount) minus its mean, over its
    /// biased standard deviation: the normalisation of group and layer norm, through the fused op.
    /// Same shape as `self`.
    public func normalized(rowCount rows: Int, epsilon: Float) -> Tensor {
        guard elementCount > 0 else { return self }
        precondition(rows > 0 && elementCount % rows == 0, "normalized(rowCount:): \(rows) rows do not divide shape \(shape)")
        let grouped = reshaped(to: [1, rows, elementCount / rows])
        return grouped.batchNormalized(weight: Tensor(ones: [rows]), bias: Tensor(zeros: [rows]), epsilon: epsilon)
            .output.reshaped(to: shape)
    }

    /// Mean and biased variance of every channel, accumulated in Double around the channel's first
    /// value so that a large mean does not cancel the variance away.
    /// The mean and biased variance of the whole batch from each replica's, over equal shares:
    /// the mean of the means, and the mean of (variance + mean²) less the squared mean.
    static func combine(_ mean: [Float], _ variance: [Float], over replicas: any StatisticsReplicas) -> (mean: [Float], variance: [Float]) {
        let channels = mean.count
        var sums = [Double](repeating: 0, count: 2 * channels)
        for c in 0..<channels {
            let m = Double(mean[c])
            sums[c] = m
            sums[channels + c] = Double(variance[c]) + m * m
        }
        replicas.sum(&sums)
        let r = Double(replicas.count)
        var combinedMean = [Float](repeating: 0, count: channels)
        var combinedVariance = [Float](repeating: 0, count: channels)
        for c in 0..<channels {
            let m = sums[c] / r
            combinedMean[c] = Float(m)
            combinedVariance[c] = Float(Swift.max(0, sums[channels + c] / r - m * m))
        }
        return (combinedMean, combinedVariance)
    }

    func channelMoments(_ layout: ChannelLayout) -> (mean: [Float], variance: [Float]) {
        let channels = layout.channels
        let shift = withUnsafeBufferPointer { x in (0..<channels).map { Double(x[$0 * layout.positions]) } }
        let (s1, s2) = Tensor.channelSums(layout, self, self, centers: shift, ShiftedMoments())
        var mean = [Float](repeating: 0, count: channels)
        var variance = [Float](repeating: 0, count: channels)
        let n = Double(layout.count)
        for c in 0..<channels {
            mean[c] = Float(shift[c] + s1[c] / n)
            variance[c] = Float(Swift.max(0, (s2[c] - s1[c] * s1[c] / n) / n))
        }
        return (mean, variance)
    }

    /// Two per-channel sums of `term(a, b, center[c])` over the scalars of two `[N, C, ...]` tensors
    /// of one shape, in Double; chunked by channels only, so the bits never depend on the thread count.
    static func channelSums<Term: ChannelTerm>(_ layout: ChannelLayout, _ a: Tensor, _ b: Tensor, centers: [Double],
                                               _ term: Term) -> ([Double], [Double]) {
        let (batch, channels, positions) = (layout.batch, layout.channels, layout.positions)
        var first = [Double](repeating: 0, count: channels)
        var second = [Double](repeating: 0, count: channels)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                centers.withUnsafeBufferPointer { center in
                    first.withUnsafeMutableBufferPointer { s1 in
                        second.withUnsafeMutableBufferPointer { s2 in
                            parallelChunks(channels, grain: Swift.max(1, 32_768 / Swift.max(layout.count, 1))) { range in
                                for n in 0..<batch {
                                    if positions == 1 {
                                        let base = n * channels
                                        for c in range {
                                            let (u, v) = term(pa[base + c], pb[base + c], center[c])
                                            s1[c] += u
                                            s2[c] += v
                                        }
                                        continue
                                    }
                                    for c in range {
                                        let base = (n * channels + c) * positions
                                        term.add(pa.baseAddress! + base, pb.baseAddress! + base, count: positions,
                                                 center: center[c], first: s1.baseAddress! + c, second: s2.baseAddress! + c)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (first, second)
    }

    /// `f(a, b, c)` for every pair of scalars of two `[N, C, ...]` tensors of one shape, `c` the
    /// channel; a constant.
    static func mapChannels<Map: ChannelMap>(_ layout: ChannelLayout, _ a: Tensor, _ b: Tensor,
                                             _ f: Map) -> Tensor {
        let (channels, positions) = (layout.channels, layout.positions)
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                Tensor(shape: a.shape, unsafeUninitialized: { y in
                    if positions == 1 {
                        parallelChunks(layout.batch, grain: Swift.max(1, 32_768 / Swift.max(channels, 1))) { range in
                            for n in range {
                                let base = n * channels
                                for c in 0..<channels { y[base + c] = f(pa[base + c], pb[base + c], c) }
                            }
                        }
                        return
                    }
                    parallelChunks(layout.batch * channels, grain: Swift.max(1, 32_768 / positions)) { range in
                        for row in range {
                            let base = row * positions
                            f.row(pa.baseAddress! + base, pb.baseAddress! + base, y.baseAddress! + base,
                                  count: positions, channel: row % channels)
                        }
                    }
                })
            }
        }
    }
}

extension Tensor {
    /// `body(a, b, y, count, row)` for every row of positions of two `[N, C, ...]` tensors of one
    /// shape, writing `count` scalars of the result at `y`; a constant. For kernels that take a whole row.
    static func mapChannelRows(_ layout: ChannelLayout, _ a: Tensor, _ b: Tensor,
                               _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int) -> Void)
        -> Tensor {
        let positions = layout.positions
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                Tensor(shape: a.shape, unsafeUninitialized: { y in
                    parallelChunks(layout.batch * layout.channels, grain: Swift.max(1, 32_768 / Swift.max(positions, 1))) { range in
                        for row in range {
                            let base = row * positions
                            body(pa.baseAddress! + base, pb.baseAddress! + base, y.baseAddress! + base, positions,
                                 row % layout.channels)
                        }
                    }
                })
            }
        }
    }
}

/// Two Double terms per pair of scalars `(a, b)` of one channel, given the channel's center.
protocol ChannelTerm {
    func callAsFunction(_ a: Float, _ b: Float, _ center: Double) -> (Double, Double)
    /// Adds the sums of both terms over `count` consecutive pairs to `first` and `second`, by a vector kernel.
    func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int, center: Double,
             first: UnsafeMutablePointer<Double>, second: UnsafeMutablePointer<Double>)
}

/// One output scalar from a pair of input scalars `(a, b)` of channel `c`.
protocol ChannelMap {
    func callAsFunction(_ a: Float, _ b: Float, _ c: Int) -> Float
    /// `y[i] = self(a[i], b[i], c)` for `i < count`, by a vector kernel.
    func row(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int,
             channel c: Int)
}

/// (x - shift, (x - shift)²): the shifted first and second moments.
private struct ShiftedMoments: ChannelTerm {
    @inline(__always) func callAsFunction(_ x: Float, _ unused: Float, _ center: Double) -> (Double, Double) {
        let d = Double(x) - center
        return (d, d * d)
    }

    func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int, center: Double,
             first: UnsafeMutablePointer<Double>, second: UnsafeMutablePointer<Double>) {
        studio_shifted_moments(a, count, center, first, second)
    }
}

/// (g, g·(x - mean)): the sums the batch-norm pullback needs.
struct GradientMoments: ChannelTerm {
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float, _ mean: Double) -> (Double, Double) {
        let gd = Double(g)
        return (gd, gd * (Double(x) - mean))
    }

    func add(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int, center: Double,
             first: UnsafeMutablePointer<Double>, second: UnsafeMutablePointer<Double>) {
        studio_gradient_moments(g, x, count, center, first, second)
    }
}

/// x·scale[c] + shift[c].
struct ChannelAffine: ChannelMap {
    let scale: UnsafeBufferPointer<Float>
    let shift: UnsafeBufferPointer<Float>
    @inline(__always) func callAsFunction(_ x: Float, _ unused: Float, _ c: Int) -> Float { x * scale[c] + shift[c] }
    func row(_ x: UnsafePointer<Float>, _ unused: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int,
             channel c: Int) {
        studio_channel_affine(x, y, count, scale[c], shift[c])
    }
}

/// a[c]·g + k1[c]·x + k0[c].
struct ChannelInputGradient: ChannelMap {
    let a: UnsafeBufferPointer<Float>
    let k1: UnsafeBufferPointer<Float>
    let k0: UnsafeBufferPointer<Float>
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float, _ c: Int) -> Float { a[c] * g + k1[c] * x + k0[c] }
    func row(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int,
             channel c: Int) {
        studio_channel_input_gradient(g, x, y, count, a[c], k1[c], k0[c])
    }
}

/// The pullbacks of one `batchNormalized` call. In first-order mode the three gradients come from
/// one reduction pass (shared between them) and one elementwise pass; while a backward pass is
/// itself recorded they come from the composite formula in differentiable ops, so second
/// derivatives (gradient penalties) flow through batch norm too.
private final class BatchNormBackward {
    let input: Tensor
    let weight: Tensor
    let layout: ChannelLayout
    let mean: [Float]
    let inverseDeviation: [Double]
    let epsilon: Float
    let replicas: (any StatisticsReplicas)?
    /// Σg and Σg·(x - mean) per channel for the gradient `cachedFor`, which all three pullbacks
    /// receive in turn; holding `cachedFor` keeps its storage, and so its address, unique.
    private var cachedFor: Tensor?
    private var sums: (gradient: [Double], product: [Double]) = ([], [])

    init(input: Tensor, weight: Tensor, layout: ChannelLayout, mean: [Float], inverseDeviation: [Double], epsilon: Float,
         replicas: (any StatisticsReplicas)?) {
        self.replicas = replicas
        self.input = input
        self.weight = weight
        self.layout = layout
        self.mean = mean
        self.inverseDeviation = inverseDeviation
        self.epsilon = epsilon
    }

    private func sums(for g: Tensor) -> (gradient: [Double], product: [Double]) {
        if let cached = cachedFor, cached.shape == g.shape,
           cached.withUnsafeBufferPointer({ $0.baseAddress }) == g.withUnsafeBufferPointer({ $0.baseAddress }) {
            return sums
        }
        let centers = mean.map(Double.init)
        let (sg, sgx) = Tensor.channelSums(layout, g, input, centers: centers, GradientMoments())
        cachedFor = g
        sums = (sg, sgx)
        return sums
    }

    /// The reduced axes and the `[1, C, 1, ...]` shape that broadcasts per-channel values.
    private var axes: (reduced: [Int], stat: Shape) {
        let rank = input.rank
        return ([0] + Array(2..<rank), Shape([1, layout.channels] + [Int](repeating: 1, count: rank - 2)))
    }

    /// The normalised input x̂ in differentiable ops, for the recorded (second-order) formulas.
    private func recordedNormalized() -> (normalized: Tensor, inverseDeviation: Tensor) {
        let reduced = axes.reduced
        let centered = input - input.mean(alongAxes: reduced, keepingDimensions: true)
        let variance = centered.squared().mean(alongAxes: reduced, keepingDimensions: true)
        let inverse = 1 / (variance + epsilon).sqrt()
        return (centered * inverse, inverse)
    }

    func inputGradient(_ g: Tensor) -> Tensor {
        precondition(replicas == nil || !GradientMode.isEnabled, "batchNormalized: synchronised batch norm has first-order gradients only")
        if GradientMode.isEnabled {
            let (reduced, stat) = axes
            let (normalized, inverse) = recordedNormalized()
            let projected = (g * normalized).mean(alongAxes: reduced, keepingDimensions: true)
            let centeredGradient = g - g.mean(alongAxes: reduced, keepingDimensions: true) - normalized * projected
            return weight.reshaped(to: stat) * inverse * centeredGradient
        }
        var (sg, sgx) = sums(for: g)
        let channels = layout.channels
        var n = Double(layout.count)
        // The weight and bias gradients stay this replica's own (the optimizer averages them); the
        // input gradient needs the whole batch's sums.
        if let replicas {
            var both = sg + sgx
            replicas.sum(&both)
            (sg, sgx) = (Array(both[..<channels]), Array(both[channels...]))
            n *= Double(replicas.count)
        }
        // dx = a·g + k1·x + k0 per channel, with a = w/σ: the usual
        // a·(g - mean(g) - x̂·mean(g·x̂)) expanded so one pass suffices.
        var a = [Float](repeating: 0, count: channels)
        var k1 = [Float](repeating: 0, count: channels)
        var k0 = [Float](repeating: 0, count: channels)
        weight.withUnsafeBufferPointer { w in
            for c in 0..<channels {
                let inv = inverseDeviation[c]
                let ac = Double(w[c]) * inv
                let slope = -ac * inv * inv * sgx[c] / n
                a[c] = Float(ac)
                k1[c] = Float(slope)
                k0[c] = Float(-ac * sg[c] / n - slope * Double(mean[c]))
            }
        }
        return a.withUnsafeBufferPointer { pa in
            k1.withUnsafeBufferPointer { p1 in
                k0.withUnsafeBufferPointer { p0 in
                    Tensor.mapChannels(layout, g, input, ChannelInputGradient(a: pa, k1: p1, k0: p0))
                }
            }
        }
    }

    func weightGradient(_ g: Tensor) -> Tensor {
        if GradientMode.isEnabled {
            return (g * recordedNormalized().normalized).sum(alongAxes: axes.reduced)
        }
        let sgx = sums(for: g).product
        return Tensor((0..<layout.channels).map { Float(sgx[$0] * inverseDeviation[$0]) })
    }

    func biasGradient(_ g: Tensor) -> Tensor {
        if GradientMode.isEnabled { return g.sum(alongAxes: axes.reduced) }
        return Tensor(sums(for: g).gradient.map { Float($0) })
    }
}
