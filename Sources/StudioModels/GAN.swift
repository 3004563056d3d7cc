import StudioCore
import StudioNN

/// The two networks of a GAN under the checkpoint names `generator.*` and `discriminator.*`; a
/// conditional one adds `generator_embedding.weight` `[classes, embeddingSize]` (appended to z) and
/// `discriminator_projection.weight` `[classes, F]` (the projection discriminator's class vectors).
public struct GAN: Module {
    public let config: GANConfig
    public let generator: Sequential
    public let discriminator: Sequential
    /// Label -> `[embeddingSize]` appended to z, for a conditional generator.
    public let generatorEmbedding: Embedding?
    /// Label -> `[F]` whose inner product with the discriminator's features is added to its logit.
    public let discriminatorProjection: Embedding?

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
        if config.isConditional, let features = config.featureSize {
            generatorEmbedding = Embedding(count: config.classCount, dimension: config.embeddingSize, using: &generator)
            // Small class vectors, so the projection starts as a minor term beside the unconditional logit:
            // N(0, 0.02) under DCGAN init, else Xavier-uniform as Miyato's reference code uses.
            let shape: Shape = [config.classCount, features]
            let weight = config.initialization == .dcgan
                ? Tensor.randomNormal(shape, standardDeviation: 0.02, using: &generator)
                : Tensor.randomUniform(shape, lower: -Float(6.0 / Double(config.classCount + features)).squareRoot(),
                                       upper: Float(6.0 / Double(config.classCount + features)).squareRoot(), using: &generator)
            discriminatorProjection = Embedding(weight: weight)
        } else {
            generatorEmbedding = nil
            discriminatorProjection = nil
        }
    }

    public var children: [(name: String, child: ModuleChild)] {
        var list: [(name: String, child: ModuleChild)] = [("generator", .module(generator)), ("discriminator", .module(discriminator))]
        if let generatorEmbedding { list.append(("generator_embedding", .module(generatorEmbedding))) }
        if let discriminatorProjection { list.append(("discriminator_projection", .module(discriminatorProjection))) }
        return list
    }

    /// The generator's trainable parameters, named as its optimizer stores them.
    public var generatorParameters: [(name: String, parameter: Parameter)] {
        generator.namedParameters + (generatorEmbedding.map { [("generator_embedding.weight", $0.weight)] } ?? [])
    }

    /// The generator's parameters under their checkpoint names (`generator.*`, `generator_embedding.weight`).
    public var generatorParametersByCheckpointName: [(name: String, parameter: Parameter)] {
        namedParameters.filter { $0.name.hasPrefix("generator.") || $0.name.hasPrefix("generator_embedding.") }
    }

    /// The discriminator's trainable parameters, named as its optimizer stores them.
    public var discriminatorParameters: [(name: String, parameter: Parameter)] {
        discriminator.namedParameters + (discriminatorProjection.map { [("discriminator_projection.weight", $0.weight)] } ?? [])
    }

    /// Samples `[N] + imageShape` from latents `[N, latentSize]`, with N labels in `0..<classes`
    /// when conditional (none otherwise).
    public func generate(_ z: Tensor, labels: [Int], context: ForwardContext) -> Tensor {
        guard let generatorEmbedding else { return generator(z, context: context) }
        precondition(labels.count == z.shape[0], "GAN.generate: \(labels.count) labels for latents \(z.shape)")
        return generator(Tensor.concatenate([z, generatorEmbedding(labels)], alongAxis: 1), context: context)
    }

    /// Sets the generator's batch-norm running statistics to the average, over `batches` batches of
    /// `batchSize` latents from `stream` (labels cycling through the classes when conditional), of its batch
    /// statistics under its current weights, as PyTorch's `swa_utils.update_bn` does: the running
    /// statistics belong to the weights they were gathered with, so a moving average of the weights needs
    /// its own ("standing statistics"). Dropout, if any, runs as in training; every other buffer
    /// (`num_batches_tracked`, spectral norm's vectors) ends as it was.
    public func recalibrateGeneratorStatistics(batches: Int = 16, batchSize: Int = 64,
                                               using stream: inout RandomGenerator) {
        precondition(batches >= 1 && batchSize >= 2, "recalibrateGeneratorStatistics: needs batches >= 1 and batchSize >= 2")
        let buffers = generator.namedBuffers
        guard buffers.contains(where: { $0.name.hasSuffix("running_mean") }) else { return }
        let others = buffers.filter { !$0.name.hasSuffix("running_mean") && !$0.name.hasSuffix("running_var") }
            .map { ($0.buffer, $0.buffer.value) }
        defer { for (buffer, value) in others { buffer.value = value } }
        withoutGradients {
            for k in 0..<batches {
                let z = Tensor.randomNormal([batchSize, config.latentSize], using: &stream)
                let labels = config.isConditional ? (0..<batchSize).map { (k * batchSize + $0) % config.classCount } : []
                let context = ForwardContext(training: true, generator: stream)
                context.batchNormMomentum = 1 / Float(k + 1)
                _ = generate(z, labels: labels, context: context)
                stream = context.generator
            }
        }
    }

    /// A semi-supervised discriminator's features phi(x) `[N, F]` (every layer but the last) and its
    /// class logits `[N, discriminatorClasses]` from them, for samples `[N] + imageShape`.
    public func classify(_ x: Tensor, context: ForwardContext) -> (features: Tensor, logits: Tensor) {
        let layers = discriminator.layers
        let features = layers.dropLast().reduce(x) { $1($0, context: context) }
        return (features, layers[layers.count - 1](features, context: context))
    }

    /// Logits `[N, 1]` for samples `[N] + imageShape`: psi(phi(x)) + <embed(y), phi(x)> when conditional.
    public func discriminate(_ x: Tensor, labels: [Int], context: ForwardContext) -> Tensor {
        guard let discriminatorProjection else { return discriminator(x, context: context) }
        precondition(labels.count == x.shape[0], "GAN.discriminate: \(labels.count) labels for samples \(x.shape)")
        let layers = discriminator.layers
        let features = layers.dropLast().reduce(x) { $1($0, context: context) }
        let projection = (discriminatorProjection(labels) * features).sum(alongAxis: 1, keepingDimensions: true)
        return layers[layers.count - 1](features, context: context) + projection
    }
}
