import CKernels

// MARK: - Group normalisation as one fused op

extension Tensor {
    /// Group normalisation with its per-channel affine map, as PyTorch's `GroupNorm`: the channels of
    /// each sample fall into `groupCount` groups, each normalised by its own mean and biased variance,
    /// then channel c is scaled by `weight[c]` and shifted by `bias[c]`, and with `followedBySiLU`
    /// passed through SiLU in the same pass: `[N, C, ...]`, `[C]`, `[C]` -> `[N, C, ...]`.
    ///
    /// One statistics pass and one output pass; the three gradients share one reduction pass and the
    /// input gradient one elementwise pass. The composite of normalisation, product and sum made four
    /// passes forward, and group norms were a seventh of a diffusion UNet's sampling time.
    public func groupNormalized(groupCount: Int, weight: Tensor, bias: Tensor, epsilon: Float,
                                followedBySiLU: Bool = false) -> Tensor {
        let layout = ChannelLayout(shape, op: "groupNormalized")
        let channels = layout.channels
        precondition(groupCount > 0 && channels % groupCount == 0,
                     "groupNormalized: \(groupCount) groups do not divide \(channels) channels of input \(shape)")
        precondition(weight.shape == [channels] && bias.shape == [channels],
                     "groupNormalized: weight \(weight.shape) and bias \(bias.shape) must be [\(channels)] for input \(shape)")
        guard elementCount > 0 else { return self }
        let groups = GroupLayout(layout, groupCount: groupCount)
        let (mean, variance) = channelMoments(groups.rows)
        let inverseDeviation = variance.map { 1 / (Double($0) + Double(epsilon)).squareRoot() }
        // y = x·a + b for each (sample, channel) row: a = w/σ, b = bias - mean·a.
        var scale = [Float](repeating: 0, count: groups.channelRows.channels)
        var shift = scale
        weight.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                for row in 0..<scale.count {
                    let (c, group) = (row % channels, groups.group(ofRow: row))
                    let a = Double(w[c]) * inverseDeviation[group]
                    scale[row] = Float(a)
                    shift[row] = Float(Double(b[c]) - Double(mean[group]) * a)
                }
            }
        }
        let value = followedBySiLU
            ? Tensor.mapChannelRows(groups.channelRows, self, self) { x, _, y, count, row in
                studio_affine_silu(x, y, count, scale[row], shift[row])
            }
            : scale.withUnsafeBufferPointer { a in
                shift.withUnsafeBufferPointer { b in
                    Tensor.mapChannels(groups.channelRows, self, self, ChannelAffine(scale: a, shift: b))
                }
            }
        let backward = GroupNormBackward(input: self, weight: weight, bias: bias, groups: groups, mean: mean,
                                         inverseDeviation: inverseDeviation, epsilon: epsilon,
                                         affine: followedBySiLU ? (scale, shift) : nil)
        return Tensor.record("groupNorm", value,
                             (self, { backward.inputGradient($0) }),
                             (weight, { backward.weightGradient($0) }),
                             (bias, { backward.biasGradient($0) }))
    }
}

/// The two flat views of an `[N, C, S]` tensor that group norm works on: `[N·G, (C/G)·S]` rows of one
/// group each, and `[N·C, S]` rows of one channel each.
struct GroupLayout {
    let layout: ChannelLayout
    let groupCount: Int

    init(_ layout: ChannelLayout, groupCount: Int) {
        self.layout = layout
        self.groupCount = groupCount
    }

    var channelsPerGroup: Int { layout.channels / groupCount }
    /// One row per (sample, group).
    var rows: ChannelLayout {
        ChannelLayout(batch: 1, channels: layout.batch * groupCount, positions: channelsPerGroup * layout.positions)
    }
    /// One row per (sample, channel).
    var channelRows: ChannelLayout { ChannelLayout(batch: 1, channels: layout.batch * layout.channels, positions: layout.positions) }
    /// The (sample, group) row of a (sample, channel) row.
    func group(ofRow row: Int) -> Int { row / channelsPerGroup }
}

/// The pullbacks of one `groupNormalized` call. In first-order mode one reduction pass gives
/// Σg and Σg·(x - mean) per (sample, channel), from which all three gradients follow, and the input
/// gradient takes one more elementwise pass (after one that takes the gradient through SiLU, whose
/// input is recomputed rather than kept); while a backward pass is itself recorded they come from
/// the composite formula in differentiable ops, so second derivatives flow through group norm too.
private final class GroupNormBackward {
    let input: Tensor
    let weight: Tensor
    let bias: Tensor
    let groups: GroupLayout
    let mean: [Float]
    let inverseDeviation: [Double]
    let epsilon: Float
    /// The per-(sample, channel) scale and shift of the normalisation when SiLU follows it; nil without SiLU.
    let affine: (scale: [Float], shift: [Float])?
    /// The gradient before SiLU and the sums for the gradient `cachedFor`, which all three pullbacks
    /// receive in turn; holding `cachedFor` keeps its storage, and so its address, unique.
    private var cachedFor: Tensor?
    private var cached: (gradient: Tensor, sums: (gradient: [Double], product: [Double]))?

    init(input: Tensor, weight: Tensor, bias: Tensor, groups: GroupLayout, mean: [Float], inverseDeviation: [Double],
         epsilon: Float, affine: (scale: [Float], shift: [Float])?) {
        self.input = input
        self.weight = weight
        self.bias = bias
        self.groups = groups
        self.mean = mean
        self.inverseDeviation = inverseDeviation
        self.epsilon = epsilon
        self.affine = affine
    }

    /// The gradient with respect to the normalised, scaled and shifted value, before any SiLU, and its sums.
    private func prepared(_ g: Tensor) -> (gradient: Tensor, sums: (gradient: [Double], product: [Double])) {
        if let cachedFor, let cached, cachedFor.shape == g.shape,
           cachedFor.withUnsafeBufferPointer({ $0.baseAddress }) == g.withUnsafeBufferPointer({ $0.baseAddress }) {
            return cached
        }
        let centers = (0..<groups.channelRows.channels).map { Double(mean[groups.group(ofRow: $0)]) }
        let result: (gradient: Tensor, sums: (gradient: [Double], product: [Double]))
        if let affine {
            // Through SiLU and into the sums in one pass, rather than a second one over its result.
            var sums = [Double](repeating: 0, count: centers.count), products = sums
            let gradient = sums.withUnsafeMutableBufferPointer { s1 in
                products.withUnsafeMutableBufferPointer { s2 in
                    Tensor.mapChannelRows(groups.channelRows, g, input) { g, x, y, count, row in
                        studio_affine_silu_gradient_moments(g, x, y, count, affine.scale[row], affine.shift[row],
                                                            centers[row], s1.baseAddress! + row, s2.baseAddress! + row)
                    }
                }
            }
            result = (gradient, (sums, products))
        } else {
            result = (g, Tensor.channelSums(groups.channelRows, g, input, centers: centers, GradientMoments()))
        }
        cachedFor = g
        cached = result
        return result
    }

    /// The gradient before SiLU in differentiable ops, given `recordedNormalized()`'s value and shape,
    /// for the recorded formulas.
    private func recordedGradient(_ g: Tensor, normalized: Tensor, stat: Shape) -> Tensor {
        guard affine != nil else { return g }
        let z = normalized * weight.reshaped(to: stat) + bias.reshaped(to: stat)
        let s = z.sigmoid()
        return g * (s * (1 + z * (1 - s)))
    }

    /// The input as `[N, G, (C/G)·S]`, its normalised value and 1/σ in differentiable ops, and the
    /// `[1, C, 1, ...]` shape that broadcasts per-channel values; for the recorded formulas.
    private func recordedNormalized() -> (normalized: Tensor, inverseDeviation: Tensor, stat: Shape) {
        let grouped = input.reshaped(to: [groups.layout.batch, groups.groupCount, -1])
        let centered = grouped - grouped.mean(alongAxes: [2], keepingDimensions: true)
        let inverse = 1 / (centered.squared().mean(alongAxes: [2], keepingDimensions: true) + epsilon).sqrt()
        let stat = Shape([1, groups.layout.channels] + [Int](repeating: 1, count: input.rank - 2))
        return ((centered * inverse).reshaped(to: input.shape), inverse, stat)
    }

    /// The sum over every axis but the channel axis, `[C]`.
    private var reducedAxes: [Int] { [0] + Array(2..<input.rank) }

    func inputGradient(_ g: Tensor) -> Tensor {
        let (batch, channels) = (groups.layout.batch, groups.layout.channels)
        if GradientMode.isEnabled {
            let (normalized, inverse, stat) = recordedNormalized()
            let shape = [batch, groups.groupCount, -1]
            let scaled = (recordedGradient(g, normalized: normalized, stat: stat) * weight.reshaped(to: stat)).reshaped(to: shape)
            let x = normalized.reshaped(to: shape)
            let centered = scaled - scaled.mean(alongAxes: [2], keepingDimensions: true)
                - x * (scaled * x).mean(alongAxes: [2], keepingDimensions: true)
            return (inverse * centered).reshaped(to: input.shape)
        }
        let (gradient, (sg, sgx)) = prepared(g)
        let count = Double(groups.rows.positions)
        // Per group: A = Σ w·g and B = Σ w·g·(x - mean); then per channel
        // dx = a·g + k1·x + k0 with a = w/σ, k1 = -B/(σ³M), k0 = -A/(σM) - k1·mean.
        var weighted = [Double](repeating: 0, count: batch * groups.groupCount)
        var weightedProduct = weighted
        var a = [Float](repeating: 0, count: batch * channels)
        var k1 = a, k0 = a
        weight.withUnsafeBufferPointer { w in
            for row in 0..<(batch * channels) {
                let group = groups.group(ofRow: row)
                weighted[group] += Double(w[row % channels]) * sg[row]
                weightedProduct[group] += Double(w[row % channels]) * sgx[row]
            }
            for row in 0..<(batch * channels) {
                let group = groups.group(ofRow: row)
                let inv = inverseDeviation[group]
                let slope = -inv * inv * inv * weightedProduct[group] / count
                a[row] = Float(Double(w[row % channels]) * inv)
                k1[row] = Float(slope)
                k0[row] = Float(-inv * weighted[group] / count - slope * Double(mean[group]))
            }
        }
        return a.withUnsafeBufferPointer { pa in
            k1.withUnsafeBufferPointer { p1 in
                k0.withUnsafeBufferPointer { p0 in
                    Tensor.mapChannels(groups.channelRows, gradient, input, ChannelInputGradient(a: pa, k1: p1, k0: p0))
                }
            }
        }
    }

    func weightGradient(_ g: Tensor) -> Tensor {
        if GradientMode.isEnabled {
            let (normalized, _, stat) = recordedNormalized()
            return (recordedGradient(g, normalized: normalized, stat: stat) * normalized).sum(alongAxes: reducedAxes)
        }
        let product = prepared(g).sums.product
        var result = [Double](repeating: 0, count: groups.layout.channels)
        for row in 0..<product.count {
            result[row % result.count] += product[row] * inverseDeviation[groups.group(ofRow: row)]
        }
        return Tensor(result.map { Float($0) })
    }

    func biasGradient(_ g: Tensor) -> Tensor {
        if GradientMode.isEnabled {
            guard affine != nil else { return g.sum(alongAxes: reducedAxes) }
            let (normalized, _, stat) = recordedNormalized()
            return recordedGradient(g, normalized: normalized, stat: stat).sum(alongAxes: reducedAxes)
        }
        let gradient = prepared(g).sums.gradient
        var result = [Double](repeating: 0, count: groups.layout.channels)
        for row in 0..<gradient.count { result[row % result.count] += gradient[row] }
        return Tensor(result.map { Float($0) })
    }
}

