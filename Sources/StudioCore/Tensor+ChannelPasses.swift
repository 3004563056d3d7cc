import CKernels

// MARK: - The per-channel passes that batch and group normalisation share

extension Tensor {
    /// Mean and biased variance of every channel, accumulated in Double around the channel's first
    /// value so that a large mean does not cancel the variance away.
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
