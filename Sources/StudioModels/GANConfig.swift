import StudioCore

/// A generator/discriminator pair described by a recipe: `[N, latent (+ embedding)] -> [N, C, H, W]`
/// (or `[N, C, L]` for 1-D signals) `-> [N, 1]`, optionally conditioned on class labels.
public struct GANConfig: Codable, Equatable, Sendable {
    /// How weights start: PyTorch's layer defaults, or the DCGAN paper's N(0, 0.02).
    public enum Initialization: String, Codable, Sendable { case pytorch, dcgan }

    /// The length of the latent vector z.
    public var latentSize: Int
    /// The sample shape the generator makes and the discriminator reads: `[C, H, W]`, or `[C, L]` for audio.
    public var imageShape: [Int]
    /// How weights are initialised.
    public var initialization: Initialization
    /// Label classes of a conditional GAN (0: unconditional).
    public var classCount: Int
    /// Length of the label embedding appended to z in a conditional generator.
    public var embeddingSize: Int
    /// `[N, latentSize (+ embeddingSize when conditional)] -> [N] + imageShape`.
    public var generator: SequentialSpec
    /// `[N] + imageShape -> [N, 1]` logits; when conditional its last layer is `linear(F -> 1)`, and
    /// the label's projection is added to it (Miyato & Koyama 2018).
    public var discriminator: SequentialSpec
    /// The decay of a moving average of the generator's weights, which sampling uses by default; nil: none.
    public var emaDecay: Double?
    /// The step from which the average moves; before it, it copies the trained weights.
    public var emaStart: Int
    /// Classes of a semi-supervised discriminator (Salimans et al. 2016), whose last layer gives one
    /// logit per class, `[N, classes]`, real meaning any class; 0: the usual one real/fake logit.
    public var discriminatorClasses: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case latentSize = "latent_size", imageShape = "image_shape", initialization = "init"
        case classCount = "classes", embeddingSize = "embedding_size"
        case generator, discriminator, emaDecay = "ema_decay", emaStart = "ema_start"
        case discriminatorClasses = "discriminator_classes"
    }

    public init(latentSize: Int, imageShape: [Int], initialization: Initialization, classCount: Int = 0,
                embeddingSize: Int? = nil, generator: SequentialSpec, discriminator: SequentialSpec,
                emaDecay: Double? = nil, emaStart: Int = 0, discriminatorClasses: Int = 0) {
        self.latentSize = latentSize
        self.imageShape = imageShape
        self.initialization = initialization
        self.classCount = classCount
        self.embeddingSize = embeddingSize ?? classCount
        self.generator = generator
        self.discriminator = discriminator
        self.emaDecay = emaDecay
        self.emaStart = emaStart
        self.discriminatorClasses = discriminatorClasses
    }

    public init(from decoder: Decoder) throws {
        // `family` is the tag `ModelConfig` reads before handing the same table over.
        try decoder.rejectUnknownKeys(["family"] + CodingKeys.allCases.map(\.stringValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        latentSize = try c.decode(Int.self, forKey: .latentSize)
        imageShape = try c.decode([Int].self, forKey: .imageShape)
        initialization = try c.decodeIfPresent(Initialization.self, forKey: .initialization) ?? .dcgan
        classCount = try c.decodeIfPresent(Int.self, forKey: .classCount) ?? 0
        embeddingSize = try c.decodeIfPresent(Int.self, forKey: .embeddingSize) ?? classCount
        generator = try c.decode(SequentialSpec.self, forKey: .generator)
        discriminator = try c.decode(SequentialSpec.self, forKey: .discriminator)
        emaDecay = try c.decodeIfPresent(Double.self, forKey: .emaDecay)
        emaStart = try c.decodeIfPresent(Int.self, forKey: .emaStart) ?? 0
        discriminatorClasses = try c.decodeIfPresent(Int.self, forKey: .discriminatorClasses) ?? 0
    }

    /// Unconditional configs encode without the class keys, configs without a moving average
    /// without its keys, and plain discriminators without `discriminator_classes`, as they always have.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(latentSize, forKey: .latentSize)
        try c.encode(imageShape, forKey: .imageShape)
        try c.encode(initialization, forKey: .initialization)
        if isConditional {
            try c.encode(classCount, forKey: .classCount)
            try c.encode(embeddingSize, forKey: .embeddingSize)
        }
        try c.encode(generator, forKey: .generator)
        try c.encode(discriminator, forKey: .discriminator)
        if let emaDecay {
            try c.encode(emaDecay, forKey: .emaDecay)
            try c.encode(emaStart, forKey: .emaStart)
        }
        if isSemiSupervised { try c.encode(discriminatorClasses, forKey: .discriminatorClasses) }
    }

    /// Whether labels condition both networks.
    public var isConditional: Bool { classCount > 0 }

    /// Whether the discriminator is also a classifier (`discriminator_classes` > 0).
    public var isSemiSupervised: Bool { discriminatorClasses > 0 }

    /// The discriminator's output per sample: `[1, discriminatorClasses]`, or `[1, 1]`.
    public var discriminatorOutputShape: Shape { [1, Swift.max(1, discriminatorClasses)] }

    /// The generator's input `[1, latentSize (+ embeddingSize)]`.
    public var generatorInputShape: Shape { [1, latentSize + (isConditional ? embeddingSize : 0)] }

    /// The discriminator's input `[1] + imageShape`.
    public var sampleShape: Shape { Shape([1] + imageShape) }

    /// The length F of the features phi(x) that the discriminator's last layer, `linear(F -> 1)` (or
    /// `linear(F -> classes)` when semi-supervised), reads.
    public var featureSize: Int? {
        guard let last = discriminator.layers.last, last.kind == .linear, case .int(let size)? = last.options["in"] else { return nil }
        return size
    }

    /// Checks the settings and that the generator maps latents to `imageShape` and the discriminator
    /// samples to one logit (through `linear(F -> 1)` features when conditional).
    public func validate() throws {
        guard latentSize > 0 else { throw ModelConfigError("model.latent_size must be positive, got \(latentSize)") }
        guard imageShape.count == 2 || imageShape.count == 3, imageShape.allSatisfy({ $0 > 0 }) else {
            throw ModelConfigError("model.image_shape must be [channels, height, width] (or [channels, length] for audio), got \(imageShape)")
        }
        guard classCount >= 0 else { throw ModelConfigError("model.classes must be 0 (unconditional) or positive, got \(classCount)") }
        guard discriminatorClasses >= 0 else {
            throw ModelConfigError("model.discriminator_classes must be 0 (a plain discriminator) or positive, got \(discriminatorClasses)")
        }
        if isSemiSupervised && isConditional {
            throw ModelConfigError("model.discriminator_classes (a semi-supervised GAN, whose generator is unconditional and whose discriminator labels) and model.classes (a class-conditional GAN) exclude each other; keep one")
        }
        if isConditional && embeddingSize <= 0 {
            throw ModelConfigError("model.embedding_size must be positive for a conditional GAN, got \(embeddingSize)")
        }
        if let emaDecay, !(emaDecay > 0 && emaDecay < 1) {
            throw ModelConfigError("model.ema_decay must lie between 0 and 1 (such as 0.999), got \(emaDecay)")
        }
        guard emaStart >= 0 else { throw ModelConfigError("model.ema_start must be 0 or positive, got \(emaStart)") }
        let made: Shape
        do {
            made = try generator.outputShape(for: generatorInputShape, name: "generator")
        } catch let error as ModelConfigError where isConditional {
            throw ModelConfigError("\(error.message) (a conditional generator takes latent_size \(latentSize) + embedding_size \(embeddingSize) inputs)")
        }
        guard made == sampleShape else {
            throw ModelConfigError("generator makes \(made) from \(generatorInputShape), but model.image_shape is \(imageShape)")
        }
        let judged = try discriminator.outputShape(for: sampleShape, name: "discriminator")
        if isSemiSupervised {
            guard judged == discriminatorOutputShape else {
                throw ModelConfigError("discriminator maps \(sampleShape) to \(judged); with model.discriminator_classes = \(discriminatorClasses) it must give one logit per class, \(discriminatorOutputShape)")
            }
            let last = discriminator.layers.count - 1
            guard let size = featureSize, last >= 1,
                  try SequentialSpec(Array(discriminator.layers.dropLast())).outputShape(for: sampleShape, name: "discriminator") == [1, size] else {
                throw ModelConfigError("discriminator layer \(last): a semi-supervised discriminator must end in { type = \"linear\", in = F, out = \(discriminatorClasses) } reading flat features [1, F], which the generator's feature matching compares")
            }
            return
        }
        guard judged == [1, 1] else {
            throw ModelConfigError("discriminator maps \(sampleShape) to \(judged); it must give one logit per sample, [1, 1]")
        }
        if isConditional {
            let last = discriminator.layers.count - 1
            guard let size = featureSize, discriminator.layers.count >= 2 else {
                throw ModelConfigError("discriminator layer \(last): a conditional GAN's discriminator must end in { type = \"linear\", in = F, out = 1 }, whose F features the label embedding is projected onto")
            }
            let features = try SequentialSpec(Array(discriminator.layers.dropLast())).outputShape(for: sampleShape, name: "discriminator")
            guard features == [1, size] else {
                throw ModelConfigError("discriminator layers before the last give \(features); the projection needs flat features [1, \(size)]")
            }
        }
    }
}
