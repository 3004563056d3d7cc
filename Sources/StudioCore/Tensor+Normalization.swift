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
