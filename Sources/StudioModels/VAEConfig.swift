import StudioCore

/// An encoder/decoder pair described by a recipe: `[N, C, H, W] -> [N, 2 * latent]` (mean and
/// log-variance) and `[N, latent] -> [N, C, H, W]`, with the likelihood and KL weighting it is trained under.
public struct VAEConfig: Codable, Equatable, Sendable {
    /// How the decoder's output scores pixels in [0, 1].
    public enum Likelihood: String, Codable, Sendable {
        /// The output is Bernoulli logits per pixel (binary cross-entropy, PyTorch's VAE example).
        case bernoulli
        /// The output is a Gaussian mean per pixel, with `variance` fixed or one learned log-variance.
        case gaussian
    }

    /// The length of the latent vector z.
    public var latentSize: Int
    /// The image shape `[C, H, W]`.
    public var imageShape: [Int]
    /// How reconstructions are scored.
    public var likelihood: Likelihood
    /// The Gaussian likelihood's fixed variance (ignored when `learnVariance`).
    public var variance: Double
    /// Whether the Gaussian likelihood learns one shared log-variance (checkpoint key `log_variance`).
    public var learnVariance: Bool
    /// The KL term's weight (beta-VAE; 1 is the plain ELBO).
    public var beta: Double
    /// Steps over which the KL weight rises linearly from 0 to `beta` (0: no warm-up).
    public var klWarmupSteps: Int
    /// Label classes of a conditional VAE (0: unconditional).
    public var classCount: Int
    /// Length of the label embedding appended to z in a conditional decoder.
    public var embeddingSize: Int
    /// `[N, C (+1 when conditional), H, W] -> [N, 2 * latentSize]`.
    public var encoder: SequentialSpec
    /// `[N, latentSize (+ embeddingSize when conditional)] -> [N, C, H, W]`.
    public var decoder: SequentialSpec
    /// The semi-supervised VAE's classifier q(y | x) (Kingma et al. 2014, M2): `[N, C, H, W] -> [N, classes]`;
    /// nil for a VAE that reads every label it trains on.
    public var classifier: SequentialSpec?
    /// M2's weight α of the classifier's cross-entropy on labelled images, against the ELBO in nats per image.
    public var classificationWeight: Double

    enum CodingKeys: String, CodingKey, CaseIterable {
        case latentSize = "latent_size", imageShape = "image_shape", likelihood, variance
        case learnVariance = "learn_variance", beta, klWarmupSteps = "kl_warmup_steps"
        case classCount = "classes", embeddingSize = "embedding_size", encoder, decoder
        case classifier, classificationWeight = "classification_weight"
    }

    public init(latentSize: Int, imageShape: [Int], likelihood: Likelihood = .bernoulli, variance: Double = 1,
                learnVariance: Bool = false, beta: Double = 1, klWarmupSteps: Int = 0, classCount: Int = 0,
                embeddingSize: Int = 0, encoder: SequentialSpec, decoder: SequentialSpec,
                classifier: SequentialSpec? = nil, classificationWeight: Double = VAEConfig.defaultClassificationWeight) {
        self.latentSize = latentSize
        self.imageShape = imageShape
        self.likelihood = likelihood
        self.variance = variance
        self.learnVariance = learnVariance
        self.beta = beta
        self.klWarmupSteps = klWarmupSteps
        self.classCount = classCount
        self.embeddingSize = embeddingSize
        self.encoder = encoder
        self.decoder = decoder
        self.classifier = classifier
        self.classificationWeight = classificationWeight
    }

    /// α when the recipe gives none: Kingma et al.'s 0.1 · N / N_labelled for 59900 unlabelled and 100
    /// labelled MNIST digits, about 60.
    public static let defaultClassificationWeight = 60.0

    public init(from decoder: Decoder) throws {
        // `family` is the tag `ModelConfig` reads before handing the same table over.
        try decoder.rejectUnknownKeys(["family"] + CodingKeys.allCases.map(\.stringValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        latentSize = try c.decode(Int.self, forKey: .latentSize)
        imageShape = try c.decode([Int].self, forKey: .imageShape)
        likelihood = try c.decodeIfPresent(Likelihood.self, forKey: .likelihood) ?? .bernoulli
        variance = try c.decodeIfPresent(Double.self, forKey: .variance) ?? 1
        learnVariance = try c.decodeIfPresent(Bool.self, forKey: .learnVariance) ?? false
        beta = try c.decodeIfPresent(Double.self, forKey: .beta) ?? 1
        klWarmupSteps = try c.decodeIfPresent(Int.self, forKey: .klWarmupSteps) ?? 0
        classCount = try c.decodeIfPresent(Int.self, forKey: .classCount) ?? 0
        embeddingSize = try c.decodeIfPresent(Int.self, forKey: .embeddingSize) ?? (classCount > 0 ? classCount : 0)
        self.encoder = try c.decode(SequentialSpec.self, forKey: .encoder)
        self.decoder = try c.decode(SequentialSpec.self, forKey: .decoder)
        classifier = try c.decodeIfPresent(SequentialSpec.self, forKey: .classifier)
        classificationWeight = try c.decodeIfPresent(Double.self, forKey: .classificationWeight) ?? Self.defaultClassificationWeight
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(latentSize, forKey: .latentSize)
        try c.encode(imageShape, forKey: .imageShape)
        try c.encode(likelihood, forKey: .likelihood)
        try c.encode(variance, forKey: .variance)
        try c.encode(learnVariance, forKey: .learnVariance)
        try c.encode(beta, forKey: .beta)
        try c.encode(klWarmupSteps, forKey: .klWarmupSteps)
        try c.encode(classCount, forKey: .classCount)
        try c.encode(embeddingSize, forKey: .embeddingSize)
        try c.encode(self.encoder, forKey: .encoder)
        try c.encode(decoder, forKey: .decoder)
        // A VAE without a classifier writes the config it always wrote.
        if let classifier {
            try c.encode(classifier, forKey: .classifier)
            try c.encode(classificationWeight, forKey: .classificationWeight)
        }
    }

    /// Whether labels condition the encoder and decoder.
    public var isConditional: Bool { classCount > 0 }

    /// Whether the VAE infers the labels it is not given (M2): it has a classifier.
    public var isSemiSupervised: Bool { classifier != nil }

    /// The encoder's input `[1, C (+1), H, W]`: a conditional encoder sees its label as one extra channel.
    public var encoderInputShape: Shape {
        Shape([1, imageShape[0] + (isConditional ? 1 : 0), imageShape[1], imageShape[2]])
    }

    /// The decoder's input `[1, latentSize (+ embeddingSize)]`.
    public var decoderInputShape: Shape { [1, latentSize + (isConditional ? embeddingSize : 0)] }

    /// The KL weight at (zero-based) `step`: beta, scaled by step / warm-up steps during warm-up.
    public func klWeight(step: Int) -> Double {
        klWarmupSteps > 0 ? beta * Swift.min(1, Double(step) / Double(klWarmupSteps)) : beta
    }

    /// Checks the settings and that the encoder and decoder shapes fit the latent and image shapes.
    public func validate() throws {
        guard latentSize > 0 else { throw ModelConfigError("model.latent_size must be positive, got \(latentSize)") }
        guard imageShape.count == 3, imageShape.allSatisfy({ $0 > 0 }) else {
            throw ModelConfigError("model.image_shape must be [channels, height, width], got \(imageShape)")
        }
        guard variance > 0, variance.isFinite else { throw ModelConfigError("model.variance must be positive, got \(variance)") }
        guard beta >= 0, beta.isFinite else { throw ModelConfigError("model.beta must be zero or positive, got \(beta)") }
        guard klWarmupSteps >= 0 else { throw ModelConfigError("model.kl_warmup_steps must be 0 or positive, got \(klWarmupSteps)") }
        guard classCount >= 0 else { throw ModelConfigError("model.classes must be 0 (unconditional) or positive, got \(classCount)") }
        if learnVariance && likelihood != .gaussian {
            throw ModelConfigError("model.learn_variance needs likelihood = \"gaussian\"")
        }
        if isConditional && embeddingSize <= 0 {
            throw ModelConfigError("model.embedding_size must be positive for a conditional VAE, got \(embeddingSize)")
        }
        if isSemiSupervised && !isConditional {
            throw ModelConfigError("model.classifier infers the labels of a conditional VAE: set model.classes (such as 10)")
        }
        let encoded = try encoder.outputShape(for: encoderInputShape, name: "encoder")
        guard encoded == [1, 2 * latentSize] else {
            throw ModelConfigError("encoder maps \(encoderInputShape) to \(encoded); it must give mean and log-variance, [1, \(2 * latentSize)]")
        }
        let decoded = try decoder.outputShape(for: decoderInputShape, name: "decoder")
        guard decoded == Shape([1] + imageShape) else {
            throw ModelConfigError("decoder makes \(decoded) from \(decoderInputShape), but model.image_shape is \(imageShape)")
        }
        if let classifier {
            guard classificationWeight >= 0, classificationWeight.isFinite else {
                throw ModelConfigError("model.classification_weight must be zero or positive, got \(classificationWeight)")
            }
            let logits = try classifier.outputShape(for: Shape([1] + imageShape), name: "classifier")
            guard logits == [1, classCount] else {
                throw ModelConfigError("classifier maps \(Shape([1] + imageShape)) to \(logits); it must give one logit per class, [1, \(classCount)]")
            }
        }
    }
}
