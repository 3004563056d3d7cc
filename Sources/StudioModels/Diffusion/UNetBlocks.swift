import Foundation
import StudioCore
import StudioNN

/// Children under the names given, for containers that PyTorch writes as `nn.ModuleList` or plain attributes.
struct ModuleGroup: Module {
    let children: [(name: String, child: ModuleChild)]

    /// Modules numbered "0", "1", ..., as `nn.ModuleList` registers them.
    init(numbering modules: [any Module]) {
        children = modules.enumerated().map { (String($0.offset), .module($0.element)) }
    }

    init(_ children: [(name: String, child: ModuleChild)]) { self.children = children }
}

/// A residual block conditioned on the time embedding: GroupNorm, SiLU, 3x3 conv, plus a projection of
/// the embedding, then GroupNorm, SiLU, dropout, 3x3 conv; a 1x1 conv matches channels on the skip path.
/// `[N, in, H, W]` and `[N, E]` -> `[N, out, H, W]`.
public struct ResidualBlock: Module {
    let norm1: GroupNorm
    let conv1: Conv2d
    let timeProjection: Linear
    let norm2: GroupNorm
    let conv2: Conv2d
    /// The 1x1 convolution of the skip path when the channel count changes.
    let skip: Conv2d?
    let dropout: Dropout

    /// A block from `inputChannels` to `outputChannels` with PyTorch's default initialisation.
    public init(inputChannels: Int, outputChannels: Int, embeddingSize: Int, groups: Int, dropout: Double,
                using generator: inout RandomGenerator) {
        norm1 = GroupNorm(groupCount: groups, channelCount: inputChannels)
        conv1 = Conv2d(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 3, padding: 1, using: &generator)
        timeProjection = Linear(inputSize: embeddingSize, outputSize: outputChannels, using: &generator)
        norm2 = GroupNorm(groupCount: groups, channelCount: outputChannels)
        conv2 = Conv2d(inputChannels: outputChannels, outputChannels: outputChannels, kernelSize: 3, padding: 1, using: &generator)
        skip = inputChannels == outputChannels ? nil
            : Conv2d(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 1, using: &generator)
        self.dropout = Dropout(probability: Float(dropout))
    }

    /// `norm1`, `conv1`, `time_proj`, `norm2`, `conv2` and `skip` when present, as the PyTorch twin registers them.
    public var children: [(name: String, child: ModuleChild)] {
        [("norm1", .module(norm1)), ("conv1", .module(conv1)), ("time_proj", .module(timeProjection)),
         ("norm2", .module(norm2)), ("conv2", .module(conv2))] + (skip.map { [("skip", .module($0))] } ?? [])
    }

    /// `[N, in, H, W]` with the activated embedding `[N, E]` -> `[N, out, H, W]`.
    public func callAsFunction(_ x: Tensor, embedding: Tensor, context: ForwardContext) -> Tensor {
        let shift = timeProjection(embedding, context: context)
        let h = conv1(norm1(x, followedBySiLU: true, context: context),
                      adding: shift.reshaped(to: [shift.shape[0], shift.shape[1], 1, 1]), context: context)
        return conv2(dropout(norm2(h, followedBySiLU: true, context: context), context: context),
                     adding: skip.map { $0(x, context: context) } ?? x, context: context)
    }
}

/// Single-head self-attention over all positions, with a residual connection:
/// `[N, C, H, W] -> [N, C, H, W]`; queries, keys and values from one 1x1 conv `qkv` (`[3C, C, 1, 1]`).
public struct AttentionBlock: Module {
    let norm: GroupNorm
    let qkv: Conv2d
    let projection: Conv2d

    /// An attention block over `channels` with PyTorch's default initialisation.
    public init(channels: Int, groups: Int, using generator: inout RandomGenerator) {
        norm = GroupNorm(groupCount: groups, channelCount: channels)
        qkv = Conv2d(inputChannels: channels, outputChannels: 3 * channels, kernelSize: 1, using: &generator)
        projection = Conv2d(inputChannels: channels, outputChannels: channels, kernelSize: 1, using: &generator)
    }

    /// `norm`, `qkv`, `proj`, as the PyTorch twin registers them.
    public var children: [(name: String, child: ModuleChild)] {
        [("norm", .module(norm)), ("qkv", .module(qkv)), ("proj", .module(projection))]
    }

    /// `[N, C, H, W] -> [N, C, H, W]`: `x + proj(v · softmax(qᵀk / √C)ᵀ)`.
    public func callAsFunction(_ x: Tensor, context: ForwardContext) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let qkv = self.qkv(norm(x, context: context), context: context).reshaped(to: [n, 3 * c, h * w])
        let q = qkv.sliced(alongAxis: 1, 0..<c)
        let k = qkv.sliced(alongAxis: 1, c..<(2 * c))
        let v = qkv.sliced(alongAxis: 1, (2 * c)..<(3 * c))
        let weights = (Tensor.matmul(q, k, transposeA: true) * Float(1 / Double(c).squareRoot())).softmax()
        let attended = Tensor.matmul(v, weights, transposeB: true).reshaped(to: [n, c, h, w])
        return x + projection(attended, context: context)
    }
}

/// The residual (and attention) blocks of one resolution level and its resampling convolution.
struct UNetLevel: Module {
    let blocks: [ResidualBlock]
    /// One attention block per residual block, or none at this resolution.
    let attention: [AttentionBlock]
    /// Stride-2 conv on the way down, or the conv after nearest upsampling on the way up.
    let resample: Conv2d?
    let resampleName: String

    var children: [(name: String, child: ModuleChild)] {
        var result: [(name: String, child: ModuleChild)] = [("res", .module(ModuleGroup(numbering: blocks)))]
        if !attention.isEmpty { result.append(("attn", .module(ModuleGroup(numbering: attention)))) }
        if let resample { result.append((resampleName, .module(resample))) }
        return result
    }

    /// Block `index` (and its attention) applied to `x`.
    func apply(_ index: Int, _ x: Tensor, embedding: Tensor, context: ForwardContext) -> Tensor {
        let h = blocks[index](x, embedding: embedding, context: context)
        return attention.isEmpty ? h : attention[index](h, context: context)
    }
}

/// The sinusoidal embedding of (possibly fractional) timesteps: `[N] -> [N, size]`, cosines then
/// sines of `t · 10000^(-j / (size/2))`, as in the ADM code.
public func sinusoidalEmbedding(_ timesteps: [Double], size: Int) -> Tensor {
    precondition(size % 2 == 0 && size > 0, "sinusoidalEmbedding: size \(size) must be even and positive")
    let half = size / 2
    var values = [Float](repeating: 0, count: timesteps.count * size)
    for (row, t) in timesteps.enumerated() {
        for j in 0..<half {
            let argument = t * Foundation.exp(-Foundation.log(10_000) * Double(j) / Double(half))
            values[row * size + j] = Float(Foundation.cos(argument))
            values[row * size + half + j] = Float(Foundation.sin(argument))
        }
    }
    return Tensor(shape: [timesteps.count, size], scalars: values)
}
