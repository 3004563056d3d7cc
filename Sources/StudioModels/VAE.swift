import Foundation
import StudioCore
import StudioNN

/// The networks of a VAE under the checkpoint names `encoder.*`, `decoder.*`, and when present
/// `encoder_embedding.weight`, `decoder_embedding.weight` (conditional), `log_variance` (learned Gaussian
/// variance) and `classifier.*` (semi-supervised, M2).
public struct VAE: Module {
    public let config: VAEConfig
    public let encoder: Sequential
    public let decoder: Sequential
    /// Label -> one extra image channel `[H * W]`, for a conditional encoder.
    public let encoderEmbedding: Embedding?
    /// Label -> `[embeddingSize]` appended to z, for a conditional decoder.
    public let decoderEmbedding: Embedding?
    /// The learned Gaussian log-variance `[1]`, shared by every pixel.
    public let logVariance: Parameter?
    /// q(y | x) of a semi-supervised VAE: `[N, C, H, W] -> [N, classes]` logits.
    public let classifier: Sequential?

    /// Builds both networks with PyTorch's default initialisation after validating `config`.
    public init(config: VAEConfig, using generator: inout RandomGenerator) throws {
        try config.validate()
        self.config = config
        encoder = try config.encoder.makeSequential(name: "encoder", using: &generator)
        decoder = try config.decoder.makeSequential(name: "decoder", using: &generator)
        if config.isConditional {
            encoderEmbedding = Embedding(count: config.classCount, dimension: config.imageShape[1] * config.imageShape[2], using: &generator)
            decoderEmbedding = Embedding(count: config.classCount, dimension: config.embeddingSize, using: &generator)
        } else {
            encoderEmbedding = nil
            decoderEmbedding = nil
        }
        logVariance = config.learnVariance ? Parameter(Tensor(shape: [1], scalars: [Float(Foundation.log(config.variance))])) : nil
        // Built last, so that the other networks start from the weights they had before M2 existed.
        classifier = try config.classifier?.makeSequential(name: "classifier", using: &generator)
    }

    public var children: [(name: String, child: ModuleChild)] {
        var list: [(name: String, child: ModuleChild)] = [("encoder", .module(encoder)), ("decoder", .module(decoder))]
        if let encoderEmbedding { list.append(("encoder_embedding", .module(encoderEmbedding))) }
        if let decoderEmbedding { list.append(("decoder_embedding", .module(decoderEmbedding))) }
        if let logVariance { list.append(("log_variance", .parameter(logVariance))) }
        if let classifier { list.append(("classifier", .module(classifier))) }
        return list
    }

    /// The posterior's mean and log-variance: `[N, C, H, W]` images in 0...1 (and N labels when
    /// conditional) -> `[N, latent]`, `[N, latent]`.
    public func encode(_ images: Tensor, labels: [Int], context: ForwardContext) -> (mean: Tensor, logVariance: Tensor) {
        var input = images
        if let encoderEmbedding {
            precondition(labels.count == images.shape[0], "VAE.encode: \(labels.count) labels for images \(images.shape)")
            let (h, w) = (images.shape[2], images.shape[3])
            input = Tensor.concatenate([images, encoderEmbedding(labels).reshaped(to: [labels.count, 1, h, w])], alongAxis: 1)
        }
        let stats = encoder(input, context: context)
        let latent = config.latentSize
        return (stats.sliced(alongAxis: 1, 0..<latent), stats.sliced(alongAxis: 1, latent..<(2 * latent)))
    }

    /// The decoder's output `[N, C, H, W]` (Bernoulli logits or Gaussian means) for latents `[N, latent]`.
    public func decode(_ z: Tensor, labels: [Int], context: ForwardContext) -> Tensor {
        var input = z
        if let decoderEmbedding {
            precondition(labels.count == z.shape[0], "VAE.decode: \(labels.count) labels for latents \(z.shape)")
            input = Tensor.concatenate([z, decoderEmbedding(labels)], alongAxis: 1)
        }
        return decoder(input, context: context)
    }

    /// The class logits `[N, classes]` of images `[N, C, H, W]` in 0...1 (a semi-supervised VAE only).
    public func classify(_ images: Tensor, context: ForwardContext) -> Tensor {
        guard let classifier else { preconditionFailure("VAE.classify: the VAE has no classifier (model.classifier)") }
        return classifier(images, context: context)
    }

    /// Pixels in 0...1 for a decoder output `[N, C, H, W]`: the Bernoulli mean, or the Gaussian mean clamped.
    public func pixels(fromOutput output: Tensor) -> Tensor {
        config.likelihood == .bernoulli ? output.sigmoid() : output.clamped(min: 0, max: 1)
    }
}
