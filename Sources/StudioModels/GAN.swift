import StudioCore
import StudioNN

/// A generator/discriminator pair described by a recipe: `[N, latent] -> [N, C, H, W] -> [N, 1]`.
public struct GANConfig: Codable, Equatable, Sendable {
    /// How weights start: PyTorch's layer defaults, or the DCGAN paper's N(0, 0.02).
    public enum Initialization: String, Codable, Sendable { case pytorch, dcgan }

    /// The length of the latent vector z.
    public var latentSize: Int
    /// The image shape `[C, H, W]` the generator makes and the discriminator reads.
    public var imageShape: [Int]
    /// How weights are initialised.
    public var initialization: Initialization
    /// `[N, latentSize] -> [N, C, H, W]`.
    public var generator: SequentialSpec
    /// `[N, C, H, W] -> [N, 1]` logits.
    public var discriminator: SequentialSpec

    enum CodingKeys: String, CodingKey, CaseIterable {
        case latentSize = "latent_size", imageShape = "image_shape", initialization = "init"
        case generator, discriminator
    }

    public init(latentSize: Int, imageShape: [Int], initialization: Initialization,
                generator: SequentialSpec, discriminator: SequentialSpec) {
        self.latentSize = latentSize
        self.imageShape = imageShape
        self.initialization = initialization
        self.generator = generator
        self.discriminator = discriminator
    }

    public init(from decoder: Decoder) throws {
        // `family` is the tag `ModelConfig` reads before handing the same table over.
        try decoder.rejectUnknownKeys(["family"] + CodingKeys.allCases.map(\.stringValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        latentSize = try c.decode(Int.self, forKey: .latentSize)
        imageShape = try c.decode([Int].self, forKey: .imageShape)
        initialization = try c.decodeIfPresent(Initialization.self, forKey: .initialization) ?? .dcgan
        generator = try c.decode(SequentialSpec.self, forKey: .generator)
        discriminator = try c.decode(SequentialSpec.self, forKey: .discriminator)
    }

    /// Checks that the generator maps latents to `imageShape` and the discriminator images to one logit.
    public func validate() throws {
        guard latentSize > 0 else { throw ModelConfigError("model.latent_size must be positive, got \(latentSize)") }
        guard imageShape.count == 3, imageShape.allSatisfy({ $0 > 0 }) else {
            throw ModelConfigError("model.image_shape must be [channels, height, width], got \(imageShape)")
        }
        let made = try generator.outputShape(for: [1, latentSize], name: "generator")
        guard made == Shape([1] + imageShape) else {
            throw ModelConfigError("generator makes \(made) from [1, \(latentSize)], but model.image_shape is \(imageShape)")
        }
        let judged = try discriminator.outputShape(for: Shape([1] + imageShape), name: "discriminator")
        guard judged == [1, 1] else {
            throw ModelConfigError("discriminator maps \(Shape([1] + imageShape)) to \(judged); it must give one logit per image, [1, 1]")
        }
    }
}

/// The two networks of a GAN under the checkpoint names `generator.*` and `discriminator.*`.
public struct GAN: Module {
    public let config: GANConfig
    public let generator: Sequential
    public let discriminator: Sequential

    /// Builds and initialises both networks after validating `config`.
    public init(config: GANConfig, using generator: inout RandomGenerator) throws {
        try config.validate()
        self.config = config
        self.generator = try config.generator.makeSequential(name: "generator", using: &generator)
        self.discriminator = try config.discriminator.makeSequential(name: "discriminator", using: &generator)
        if config.initialization == .dcgan {
            initializeDCGAN(self.generator, using: &generator)
            initializeDCGAN(self.discriminator, using: &generator)
        }
    }

    public var children: [(name: String, child: ModuleChild)] {
        [("generator", .module(generator)), ("discriminator", .module(discriminator))]
    }
}
