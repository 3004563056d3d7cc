import StudioCore
import StudioNN

// MARK: - Shape inference, so a recipe is checked before any tensor is made

extension LayerSpec {
    /// The output shape for `input` (batch axis included), or an error naming `place` and the mismatch.
    public func outputShape(for input: Shape, in place: String) throws -> Shape {
        func fail(_ why: String) -> ModelConfigError { ModelConfigError("\(place) (\(kind.rawValue)): \(why)") }
        func requireRank(_ ranks: Set<Int>, _ layout: String) throws {
            guard ranks.contains(input.rank) else { throw fail("expects input \(layout), got \(input)") }
        }
        func requireChannels(_ expected: Int, axis: Int = 1, _ what: String) throws {
            guard input[axis] == expected else { throw fail("expects \(expected) \(what), got input \(input)") }
        }
        var out = input
        switch kind {
        case .linear:
            if try bool("spectral_norm", default: false, in: place), try bool("weight_norm", default: false, in: place) {
                throw fail("spectral_norm and weight_norm exclude each other")
            }
            let inSize = try positive("in", in: place), outSize = try positive("out", in: place)
            try requireRank([2, 3], "[N, \(inSize)]")
            guard input.last == inSize else { throw fail("expects \(inSize) input features, got input \(input)") }
            out[input.rank - 1] = outSize
        case .conv1d, .conv2d, .convtranspose1d, .convtranspose2d:
            let spatial = (kind == .conv1d || kind == .convtranspose1d) ? 1 : 2
            let layout = spatial == 1 ? "[N, C, L]" : "[N, C, H, W]"
            _ = try bool("spectral_norm", default: false, in: place)
            try requireRank([2 + spatial], layout)
            try requireChannels(try positive("in", in: place), "input channels")
            out[1] = try positive("out", in: place)
            let k = try positive("kernel", in: place), s = try positive("stride", default: 1, in: place)
            let p = try int("padding", default: 0, in: place)
            guard p >= 0 else { throw fail("padding must not be negative") }
            let transposed = kind == .convtranspose1d || kind == .convtranspose2d
            let op = transposed ? try int("output_padding", default: 0, in: place) : 0
            guard op >= 0 && (op < s || op == 0) else { throw fail("output_padding \(op) must be smaller than stride \(s)") }
            for axis in 2..<(2 + spatial) {
                let size = transposed ? (input[axis] - 1) * s - 2 * p + k + op : (input[axis] + 2 * p - k) / s + 1
                guard size >= 1, transposed || input[axis] + 2 * p >= k else {
                    throw fail("input \(input) is too small for kernel \(k), stride \(s), padding \(p)")
                }
                out[axis] = size
            }
        case .batchnorm1d:
            try requireRank([2, 3], "[N, C] or [N, C, L]")
            try requireChannels(try positive("features", in: place), "features")
        case .batchnorm2d:
            try requireRank([4], "[N, C, H, W]")
            try requireChannels(try positive("features", in: place), "channels")
        case .groupnorm:
            let groups = try positive("groups", in: place), channels = try positive("channels", in: place)
            guard channels % groups == 0 else { throw fail("\(channels) channels do not split into \(groups) groups") }
            guard input.rank >= 2 else { throw fail("expects input [N, C, ...], got \(input)") }
            try requireChannels(channels, "channels")
        case .layernorm:
            let shape = try ints("shape", in: place)
            guard input.rank > shape.count, Array(input.dimensions.suffix(shape.count)) == shape else {
                throw fail("expects input ending in \(shape), got \(input)")
            }
        case .dropout:
            let p = try number("p", default: 0.5, in: place)
            guard p >= 0 && p < 1 else { throw fail("p must lie in [0, 1), got \(p)") }
        case .gaussiannoise:
            let std = try number("std", default: 0.3, in: place)
            guard std >= 0 && std.isFinite else { throw fail("std must be 0 or positive, got \(std)") }
        case .relu, .leakyrelu, .tanh, .sigmoid, .silu, .gelu, .softplus:
            break
        case .flatten:
            let start = try int("start", default: 1, in: place)
            guard start >= 0 && start < input.rank else { throw fail("start \(start) out of range for input \(input)") }
            out = Shape(Array(input.dimensions[..<start]) + [input.dimensions[start...].reduce(1, *)])
        case .unflatten:
            let axis = try int("axis", default: 1, in: place), shape = try ints("shape", in: place)
            guard axis >= 0 && axis < input.rank else { throw fail("axis \(axis) out of range for input \(input)") }
            guard input[axis] == shape.reduce(1, *) else { throw fail("cannot unflatten \(input[axis]) features into \(shape)") }
            var dims = input.dimensions
            dims.replaceSubrange(axis...axis, with: shape)
            out = Shape(dims)
        case .upsample:
            let scale = try positive("scale", in: place)
            try requireRank([3, 4], "[N, C, L] or [N, C, H, W]")
            for axis in 2..<input.rank { out[axis] *= scale }
        case .phaseshuffle:
            let n = try int("n", default: 2, in: place)
            guard n >= 0 else { throw fail("n must not be negative, got \(n)") }
            try requireRank([3], "[N, C, L]")
            guard input[2] > n else { throw fail("shifts of up to \(n) need sequences longer than \(n), got input \(input)") }
        case .avgpool2d, .maxpool2d:
            let k = try positive("kernel", in: place), s = try positive("stride", default: k, in: place)
            try requireRank([4], "[N, C, H, W]")
            for axis in 2..<4 {
                guard input[axis] >= k else { throw fail("input \(input) is smaller than kernel \(k)") }
                out[axis] = (input[axis] - k) / s + 1
            }
        }
        return out
    }
}

// MARK: - Building

extension LayerSpec {
    /// The layer this spec describes, with PyTorch's default initialisation drawn from `generator`;
    /// with `spectral_norm = true`, u and v are drawn next, as PyTorch's `spectral_norm(module)` would;
    /// `weight_norm = true` (linear layers) reparametrises the weight as PyTorch's `weight_norm(module)`.
    public func makeLayer(in place: String, using generator: inout RandomGenerator) throws -> any Layer {
        let layer = try makePlainLayer(in: place, using: &generator)
        if kind == .linear, try bool("weight_norm", default: false, in: place), let linear = layer as? Linear {
            return linear.weightNormalized()
        }
        guard try bool("spectral_norm", default: false, in: place) else { return layer }
        guard let weighted = layer as? any SpectrallyNormalizable else {
            preconditionFailure("\(place): \(kind.rawValue) accepted spectral_norm but has no weight to normalise")
        }
        return weighted.spectrallyNormalized(using: &generator)
    }

    private func makePlainLayer(in place: String, using generator: inout RandomGenerator) throws -> any Layer {
        switch kind {
        case .linear:
            return Linear(inputSize: try positive("in", in: place), outputSize: try positive("out", in: place),
                          bias: try bool("bias", default: true, in: place), using: &generator)
        case .conv1d:
            return Conv1d(inputChannels: try positive("in", in: place), outputChannels: try positive("out", in: place),
                          kernelSize: try positive("kernel", in: place), stride: try positive("stride", default: 1, in: place),
                          padding: try int("padding", default: 0, in: place), bias: try bool("bias", default: true, in: place),
                          using: &generator)
        case .conv2d:
            return Conv2d(inputChannels: try positive("in", in: place), outputChannels: try positive("out", in: place),
                          kernelSize: try positive("kernel", in: place), stride: try positive("stride", default: 1, in: place),
                          padding: try int("padding", default: 0, in: place), bias: try bool("bias", default: true, in: place),
                          using: &generator)
        case .convtranspose1d:
            return ConvTranspose1d(inputChannels: try positive("in", in: place), outputChannels: try positive("out", in: place),
                                   kernelSize: try positive("kernel", in: place), stride: try positive("stride", default: 1, in: place),
                                   padding: try int("padding", default: 0, in: place),
                                   outputPadding: try int("output_padding", default: 0, in: place),
                                   bias: try bool("bias", default: true, in: place), using: &generator)
        case .convtranspose2d:
            return ConvTranspose2d(inputChannels: try positive("in", in: place), outputChannels: try positive("out", in: place),
                                   kernelSize: try positive("kernel", in: place), stride: try positive("stride", default: 1, in: place),
                                   padding: try int("padding", default: 0, in: place),
                                   outputPadding: try int("output_padding", default: 0, in: place),
                                   bias: try bool("bias", default: true, in: place), using: &generator)
        case .batchnorm1d:
            return BatchNorm1d(featureCount: try positive("features", in: place),
                               epsilon: Float(try number("eps", default: 1e-5, in: place)),
                               momentum: Float(try number("momentum", default: 0.1, in: place)))
        case .batchnorm2d:
            return BatchNorm2d(featureCount: try positive("features", in: place),
                               epsilon: Float(try number("eps", default: 1e-5, in: place)),
                               momentum: Float(try number("momentum", default: 0.1, in: place)))
        case .groupnorm:
            return GroupNorm(groupCount: try positive("groups", in: place), channelCount: try positive("channels", in: place),
                             epsilon: Float(try number("eps", default: 1e-5, in: place)))
        case .layernorm:
            return LayerNorm(shape: Shape(try ints("shape", in: place)), epsilon: Float(try number("eps", default: 1e-5, in: place)))
        case .dropout: return Dropout(probability: Float(try number("p", default: 0.5, in: place)))
        case .gaussiannoise: return GaussianNoise(standardDeviation: Float(try number("std", default: 0.3, in: place)))
        case .relu: return ReLU()
        case .leakyrelu: return LeakyReLU(slope: Float(try number("slope", default: 0.01, in: place)))
        case .tanh: return Tanh()
        case .sigmoid: return Sigmoid()
        case .silu: return SiLU()
        case .gelu: return GELU()
        case .softplus: return Softplus()
        case .flatten: return Flatten(startAxis: try int("start", default: 1, in: place))
        case .unflatten: return Unflatten(axis: try int("axis", default: 1, in: place), shape: Shape(try ints("shape", in: place)))
        case .upsample: return Upsample(scale: try positive("scale", in: place))
        case .avgpool2d:
            let k = try positive("kernel", in: place)
            return AvgPool2d(kernelSize: k, stride: try positive("stride", default: k, in: place))
        case .maxpool2d:
            let k = try positive("kernel", in: place)
            return MaxPool2d(kernelSize: k, stride: try positive("stride", default: k, in: place))
        case .phaseshuffle: return PhaseShuffle(radius: try int("n", default: 2, in: place))
        }
    }
}

/// A sequential network described layer by layer, as a recipe's `generator = [...]` list.
public struct SequentialSpec: Codable, Equatable, Sendable {
    public var layers: [LayerSpec]

    public init(_ layers: [LayerSpec]) { self.layers = layers }

    public init(from decoder: Decoder) throws { layers = try [LayerSpec](from: decoder) }
    public func encode(to encoder: Encoder) throws { try layers.encode(to: encoder) }

    /// The output shape for `input`, checking every layer in turn; `name` prefixes errors ("generator layer 4").
    public func outputShape(for input: Shape, name: String) throws -> Shape {
        guard !layers.isEmpty else { throw ModelConfigError("\(name): no layers") }
        var shape = input
        for (index, layer) in layers.enumerated() {
            shape = try layer.outputShape(for: shape, in: "\(name) layer \(index)")
        }
        return shape
    }

    /// The network, numbered as `nn.Sequential` numbers its children.
    public func makeSequential(name: String, using generator: inout RandomGenerator) throws -> Sequential {
        var built: [any Layer] = []
        for (index, layer) in layers.enumerated() {
            built.append(try layer.makeLayer(in: "\(name) layer \(index)", using: &generator))
        }
        return Sequential(built)
    }
}
