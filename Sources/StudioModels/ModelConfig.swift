import Foundation

/// Any model the studio builds, tagged by `family`; stored as JSON in a checkpoint's metadata so
/// that `model.safetensors` alone is enough to sample.
public enum ModelConfig: Codable, Equatable, Sendable {
    case gan(GANConfig)
    case vae(VAEConfig)
    case diffusion(DiffusionConfig)
    case classifier(ClassifierConfig)

    /// The family names a recipe's `model.family` may take.
    public static let families = ["gan", "vae", "diffusion", "classifier"]

    /// The recipe's name for the family.
    public var family: String {
        switch self {
        case .gan: "gan"
        case .vae: "vae"
        case .diffusion: "diffusion"
        case .classifier: "classifier"
        }
    }

    /// One sample's shape `[C, H, W]`.
    public var imageShape: [Int] {
        switch self {
        case .gan(let config): config.imageShape
        case .vae(let config): config.imageShape
        case .diffusion(let config): config.imageShape
        case .classifier(let config): config.imageShape
        }
    }

    /// Classes the model is conditioned on or tells apart; 0 for an unconditional generator.
    public var classCount: Int {
        switch self {
        case .gan(let config): config.classCount
        case .vae(let config): config.classCount
        case .diffusion(let config): config.classes
        case .classifier(let config): config.classCount
        }
    }

    /// The classes of a model that learns them from `data.labelled_per_class` labelled examples and
    /// every training example unlabelled: a semi-supervised GAN or VAE; nil for every other model.
    public var semiSupervisedClassCount: Int? {
        switch self {
        case .gan(let config) where config.isSemiSupervised: config.discriminatorClasses
        case .vae(let config) where config.isSemiSupervised: config.classCount
        default: nil
        }
    }

    /// Classes samples can be asked for: `classCount`, or a semi-supervised GAN's discriminator classes
    /// (its generator is unconditional, but its discriminator labels what it makes).
    public var sampledClassCount: Int {
        if case .gan(let config) = self, config.isSemiSupervised { return config.discriminatorClasses }
        return classCount
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        let family = try c.decode(String.self, forKey: AnyCodingKey("family"))
        switch family {
        case "gan":
            self = .gan(try GANConfig(from: decoder))
        case "vae":
            self = .vae(try VAEConfig(from: decoder))
        case "diffusion":
            self = .diffusion(try DiffusionConfig(from: decoder))
        case "classifier":
            self = .classifier(try ClassifierConfig(from: decoder))
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [AnyCodingKey("family")],
                debugDescription: "unknown model family '\(family)'; expected one of: \(ModelConfig.families.joined(separator: ", "))"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: AnyCodingKey.self)
        try c.encode(family, forKey: AnyCodingKey("family"))
        switch self {
        case .gan(let config): try config.encode(to: encoder)
        case .vae(let config): try config.encode(to: encoder)
        case .diffusion(let config): try config.encode(to: encoder)
        case .classifier(let config): try config.encode(to: encoder)
        }
    }

    /// Checks that the config describes a buildable model (shape inference through every network).
    public func validate() throws {
        switch self {
        case .gan(let config): try config.validate()
        case .vae(let config): try config.validate()
        case .diffusion(let config): try config.validate()
        case .classifier(let config): try config.validate()
        }
    }

    /// The config as compact JSON with sorted keys, for checkpoint metadata.
    public func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The config stored by `jsonString()`.
    public static func fromJSON(_ json: String) throws -> ModelConfig {
        try JSONDecoder().decode(ModelConfig.self, from: Data(json.utf8))
    }
}
