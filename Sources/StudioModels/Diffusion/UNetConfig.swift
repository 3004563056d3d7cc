/// The shape of a denoising UNet, as `[model.unet]` in a recipe writes it.
public struct UNetConfig: Codable, Equatable, Sendable {
    /// Channels of the first level; level i has `baseChannels * channelMultipliers[i]`.
    public var baseChannels: Int
    /// One factor per resolution level; every level but the last halves the resolution.
    public var channelMultipliers: [Int]
    /// Residual blocks per level on the way down (the way up has one more, for the downsampling skip).
    public var blocksPerLevel: Int
    /// Resolutions (image side lengths) whose blocks are followed by self-attention.
    public var attentionResolutions: [Int]
    /// Self-attention between the two middle residual blocks, at the lowest resolution.
    public var middleAttention: Bool
    /// Dropout probability inside the residual blocks.
    public var dropout: Double
    /// Channel groups of every group normalisation; it divides every level's channel count.
    public var groups: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case baseChannels = "base_channels", channelMultipliers = "channel_multipliers"
        case blocksPerLevel = "blocks_per_level", attentionResolutions = "attention_resolutions"
        case middleAttention = "middle_attention", dropout, groups
    }

    /// A config with the recipe defaults.
    public init(baseChannels: Int = 32, channelMultipliers: [Int] = [1, 2, 2], blocksPerLevel: Int = 1,
                attentionResolutions: [Int] = [], middleAttention: Bool = true, dropout: Double = 0,
                groups: Int = 8) {
        self.baseChannels = baseChannels
        self.channelMultipliers = channelMultipliers
        self.blocksPerLevel = blocksPerLevel
        self.attentionResolutions = attentionResolutions
        self.middleAttention = middleAttention
        self.dropout = dropout
        self.groups = groups
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = UNetConfig()
        baseChannels = try c.decodeIfPresent(Int.self, forKey: .baseChannels) ?? defaults.baseChannels
        channelMultipliers = try c.decodeIfPresent([Int].self, forKey: .channelMultipliers) ?? defaults.channelMultipliers
        blocksPerLevel = try c.decodeIfPresent(Int.self, forKey: .blocksPerLevel) ?? defaults.blocksPerLevel
        attentionResolutions = try c.decodeIfPresent([Int].self, forKey: .attentionResolutions) ?? defaults.attentionResolutions
        middleAttention = try c.decodeIfPresent(Bool.self, forKey: .middleAttention) ?? defaults.middleAttention
        dropout = try c.decodeIfPresent(Double.self, forKey: .dropout) ?? defaults.dropout
        groups = try c.decodeIfPresent(Int.self, forKey: .groups) ?? defaults.groups
    }

    /// The channel count of each level.
    public var levelChannels: [Int] { channelMultipliers.map { $0 * baseChannels } }

    /// The width of the time (and class) embedding: four times the base channels, as in DDPM.
    public var embeddingSize: Int { 4 * baseChannels }

    /// The side lengths of each level for images of `size` (halved after every level but the last).
    public func levelResolutions(imageSize size: Int) -> [Int] {
        var result: [Int] = [], side = size
        for level in channelMultipliers.indices {
            result.append(side)
            if level < channelMultipliers.count - 1 { side /= 2 }
        }
        return result
    }

    /// Checks that the network can be built for `[C, H, W]` images; messages name the recipe keys.
    public func validate(imageShape: [Int]) throws {
        guard baseChannels > 0 else { throw ModelConfigError("model.unet.base_channels must be positive, got \(baseChannels)") }
        guard !channelMultipliers.isEmpty, channelMultipliers.allSatisfy({ $0 > 0 }) else {
            throw ModelConfigError("model.unet.channel_multipliers must be a non-empty list of positive integers, got \(channelMultipliers)")
        }
        guard blocksPerLevel > 0 else { throw ModelConfigError("model.unet.blocks_per_level must be positive, got \(blocksPerLevel)") }
        guard (0..<1).contains(dropout) else { throw ModelConfigError("model.unet.dropout must lie in [0, 1), got \(dropout)") }
        guard groups > 0 else { throw ModelConfigError("model.unet.groups must be positive, got \(groups)") }
        for channels in Set(levelChannels).sorted() where channels % groups != 0 {
            throw ModelConfigError("model.unet.groups = \(groups) does not divide \(channels) channels (base_channels × a multiplier)")
        }
        guard imageShape.count == 3, imageShape.allSatisfy({ $0 > 0 }) else {
            throw ModelConfigError("model.image_shape must be [channels, height, width], got \(imageShape)")
        }
        guard imageShape[1] == imageShape[2] else {
            throw ModelConfigError("model.image_shape must be square for the UNet, got \(imageShape)")
        }
        let factor = 1 << (channelMultipliers.count - 1)
        guard imageShape[1] % factor == 0 else {
            throw ModelConfigError("model.image_shape side \(imageShape[1]) must be divisible by \(factor) for \(channelMultipliers.count) levels (each but the last halves it)")
        }
        let resolutions = levelResolutions(imageSize: imageShape[1])
        for resolution in attentionResolutions where !resolutions.contains(resolution) {
            throw ModelConfigError("model.unet.attention_resolutions: \(resolution) is not a level resolution; the levels are \(resolutions)")
        }
    }
}
