import StudioCore
import StudioNN

/// The denoising network of a diffusion model: images and timesteps (and classes) to a prediction of
/// the same shape, `[N, C, H, W]`, `[N]` (, `[N]`) -> `[N, C, H, W]`. State-dict names follow the
/// PyTorch twin in benchmarks/ddpm.py: `time_mlp.0.weight`, `down.0.res.0.conv1.weight`, `mid.attn.qkv.weight`, ...
public struct UNet: Module {
    /// The shape of the network.
    public let config: UNetConfig
    /// Image channels in and out.
    public let imageChannels: Int
    /// Trained classes; 0 for an unconditional network. Label `classCount` is the "no class" label
    /// that classifier-free guidance uses.
    public let classCount: Int

    let timeMLP: Sequential
    let classEmbedding: Embedding?
    let inputConv: Conv2d
    let down: [UNetLevel]
    let middle1: ResidualBlock
    let middleAttention: AttentionBlock?
    let middle2: ResidualBlock
    let up: [UNetLevel]
    let outputNorm: GroupNorm
    let outputConv: Conv2d

    /// Builds a UNet for `[C, H, W]` images after validating `config`; PyTorch's default initialisation.
    public init(config: UNetConfig, imageShape: [Int], classCount: Int, using generator: inout RandomGenerator) throws {
        try config.validate(imageShape: imageShape)
        guard config.baseChannels % 2 == 0 else {
            throw ModelConfigError("model.unet.base_channels must be even (it is the width of the sinusoidal time embedding), got \(config.baseChannels)")
        }
        guard classCount >= 0 else { throw ModelConfigError("model.classes must be 0 (unconditional) or positive, got \(classCount)") }
        self.config = config
        imageChannels = imageShape[0]
        self.classCount = classCount
        let base = config.baseChannels, embedding = config.embeddingSize, groups = config.groups
        let resolutions = config.levelResolutions(imageSize: imageShape[1])
        timeMLP = Sequential([
            Linear(inputSize: base, outputSize: embedding, using: &generator), SiLU(),
            Linear(inputSize: embedding, outputSize: embedding, using: &generator),
        ])
        classEmbedding = classCount > 0 ? Embedding(count: classCount + 1, dimension: embedding, using: &generator) : nil
        inputConv = Conv2d(inputChannels: imageChannels, outputChannels: base, kernelSize: 3, padding: 1, using: &generator)

        var skipChannels = [base], channels = base
        var down: [UNetLevel] = []
        for (level, levelChannels) in config.levelChannels.enumerated() {
            let attends = config.attentionResolutions.contains(resolutions[level])
            var blocks: [ResidualBlock] = [], attention: [AttentionBlock] = []
            for _ in 0..<config.blocksPerLevel {
                blocks.append(ResidualBlock(inputChannels: channels, outputChannels: levelChannels, embeddingSize: embedding,
                                            groups: groups, dropout: config.dropout, using: &generator))
                channels = levelChannels
                if attends { attention.append(AttentionBlock(channels: channels, groups: groups, using: &generator)) }
                skipChannels.append(channels)
            }
            var resample: Conv2d?
            if level < config.levelChannels.count - 1 {
                resample = Conv2d(inputChannels: channels, outputChannels: channels, kernelSize: 3, stride: 2, padding: 1, using: &generator)
                skipChannels.append(channels)
            }
            down.append(UNetLevel(blocks: blocks, attention: attention, resample: resample, resampleName: "downsample"))
        }
        self.down = down
        middle1 = ResidualBlock(inputChannels: channels, outputChannels: channels, embeddingSize: embedding,
                                groups: groups, dropout: config.dropout, using: &generator)
        middleAttention = config.middleAttention ? AttentionBlock(channels: channels, groups: groups, using: &generator) : nil
        middle2 = ResidualBlock(inputChannels: channels, outputChannels: channels, embeddingSize: embedding,
                                groups: groups, dropout: config.dropout, using: &generator)

        // Built deepest first, as the forward pass runs, then stored by level so `up.0` is the full resolution.
        var up: [UNetLevel] = []
        for (level, levelChannels) in config.levelChannels.enumerated().reversed() {
            let attends = config.attentionResolutions.contains(resolutions[level])
            var blocks: [ResidualBlock] = [], attention: [AttentionBlock] = []
            for _ in 0...config.blocksPerLevel {
                blocks.append(ResidualBlock(inputChannels: channels + skipChannels.removeLast(), outputChannels: levelChannels,
                                            embeddingSize: embedding, groups: groups, dropout: config.dropout, using: &generator))
                channels = levelChannels
                if attends { attention.append(AttentionBlock(channels: channels, groups: groups, using: &generator)) }
            }
            let resample = level > 0
                ? Conv2d(inputChannels: channels, outputChannels: channels, kernelSize: 3, padding: 1, using: &generator) : nil
            up.insert(UNetLevel(blocks: blocks, attention: attention, resample: resample, resampleName: "upsample"), at: 0)
        }
        self.up = up
        outputNorm = GroupNorm(groupCount: groups, channelCount: channels)
        outputConv = Conv2d(inputChannels: channels, outputChannels: imageChannels, kernelSize: 3, padding: 1, using: &generator)
    }

    /// `time_mlp`, `class_emb` (conditional), `conv_in`, `down`, `mid`, `up`, `norm_out`, `conv_out`.
    public var children: [(name: String, child: ModuleChild)] {
        var result: [(name: String, child: ModuleChild)] = [("time_mlp", .module(timeMLP))]
        if let classEmbedding { result.append(("class_emb", .module(classEmbedding))) }
        result.append(("conv_in", .module(inputConv)))
        result.append(("down", .module(ModuleGroup(numbering: down))))
        var middle: [(name: String, child: ModuleChild)] = [("res1", .module(middle1))]
        if let middleAttention { middle.append(("attn", .module(middleAttention))) }
        middle.append(("res2", .module(middle2)))
        result.append(("mid", .module(ModuleGroup(middle))))
        result.append(("up", .module(ModuleGroup(numbering: up))))
        result.append(("norm_out", .module(outputNorm)))
        result.append(("conv_out", .module(outputConv)))
        return result
    }

    /// The prediction for noisy images `x` `[N, C, H, W]` at `timesteps` (N values) with class `labels`
    /// (N values in `0...classCount`, `classCount` meaning none; nil for an unconditional network).
    public func callAsFunction(_ x: Tensor, timesteps: [Double], labels: [Int]?, context: ForwardContext) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == imageChannels,
                     "UNet: input \(x.shape) is not [N, \(imageChannels), H, W]")
        precondition(timesteps.count == x.shape[0], "UNet: \(timesteps.count) timesteps for input \(x.shape)")
        var embedding = timeMLP(sinusoidalEmbedding(timesteps, size: config.baseChannels), context: context)
        if let classEmbedding {
            let labels = labels ?? [Int](repeating: classCount, count: x.shape[0])
            precondition(labels.count == x.shape[0] && labels.allSatisfy { (0...classCount).contains($0) },
                         "UNet: labels must be \(x.shape[0]) values in 0...\(classCount)")
            embedding = embedding + classEmbedding(labels)
        } else {
            precondition(labels == nil, "UNet: labels given to an unconditional network")
        }
        let activated = embedding.silu()

        var h = inputConv(x, context: context)
        var skips = [h]
        for level in down {
            for index in level.blocks.indices {
                h = level.apply(index, h, embedding: activated, context: context)
                skips.append(h)
            }
            if let resample = level.resample {
                h = resample(h, context: context)
                skips.append(h)
            }
        }
        h = middle1(h, embedding: activated, context: context)
        if let middleAttention { h = middleAttention(h, context: context) }
        h = middle2(h, embedding: activated, context: context)
        for level in up.reversed() {
            for index in level.blocks.indices {
                h = level.apply(index, Tensor.concatenate([h, skips.removeLast()], alongAxis: 1), embedding: activated, context: context)
            }
            if let resample = level.resample { h = resample(upsampling: h, context: context) }
        }
        return outputConv(outputNorm(h, followedBySiLU: true, context: context), context: context)
    }
}
