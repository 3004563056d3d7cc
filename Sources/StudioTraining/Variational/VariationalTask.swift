import Foundation
import StudioCore
import StudioIO
import StudioModels
import StudioNN
import StudioOptim

/// Training on the variational objective: per step, encode the batch, draw z with the run's seeded
/// noise stream, decode, and minimise reconstruction + (warmed-up) beta · KL with one Adam step.
public final class VariationalTask: TrainingTask {
    public let vae: VAE
    let optimizer: Adam
    /// The optimizers the session schedules.
    public var optimizers: [any Optimizer] { [optimizer] }
    /// The rows of each global batch this process trains on.
    public var share = BatchShare.whole
    let seed: UInt64
    /// The held-out images the test ELBO and the reconstruction grid use (pixels 0...255, labels).
    let test: any LabelledExamples
    /// The fixed latent batch of every prior-sample grid, `[count, latentSize]`.
    public let sampleLatents: Tensor
    /// The labels of the fixed sample batch when conditional (cycling through the classes), else empty.
    public let sampleLabels: [Int]
    /// A semi-supervised VAE's labelled examples (pixels 0...255); the session's batches serve unlabelled.
    let labelled: (any LabelledExamples)?
    /// A semi-supervised VAE's classical augmentation of the labelled images its classifier learns from.
    let augmentation: ClassicalAugmentation?

    public var metricNames: [String] {
        ["loss", "neg_elbo", "recon", "kl", "kl_weight"] + (vae.config.isSemiSupervised ? Self.semiSupervisedMetricNames : [])
    }
    public var evaluationMetricNames: [String] {
        ["test_neg_elbo", "test_recon", "test_kl"] + (vae.config.isSemiSupervised ? ["test_accuracy"] : [])
    }
    public var valueRange: ClosedRange<Float> { 0...1 }

    /// A freshly initialised VAE for `config`, trained with Adam as `settings` says; `test` is the held-out
    /// split, `labelled` the examples whose labels a semi-supervised VAE reads, `augmentation` what
    /// changes them for its classifier.
    public init(config: VAEConfig, settings: TrainSettings, sampleCount: Int, test: any LabelledExamples,
                labelled: (any LabelledExamples)? = nil, augmentation: ClassicalAugmentation? = nil) throws {
        guard config.isSemiSupervised == (labelled != nil) else {
            throw ModelConfigError(config.isSemiSupervised
                ? "a semi-supervised VAE (model.classifier) learns classes from data.labelled_per_class labelled examples of each; set it (such as 10)"
                : "labelled examples are for a semi-supervised VAE (model.classifier)")
        }
        self.labelled = labelled
        self.augmentation = augmentation
        var generator = RandomStream.initialization.generator(seed: settings.seed)
        vae = try VAE(config: config, using: &generator)
        optimizer = Adam(parameters: vae.namedParameters, learningRate: Float(settings.lr),
                         betas: (Float(settings.beta1), Float(settings.beta2)))
        seed = settings.seed
        self.test = test
        var latentGenerator = RandomStream.sampleLatents.generator(seed: settings.seed)
        sampleLatents = Tensor.randomNormal([sampleCount, config.latentSize], using: &latentGenerator)
        sampleLabels = config.isConditional ? (0..<sampleCount).map { $0 % config.classCount } : []
    }

    /// The Gaussian log-variance `[1]` the likelihood uses (learned or fixed), nil for Bernoulli.
    var likelihoodLogVariance: Tensor? {
        guard vae.config.likelihood == .gaussian else { return nil }
        return vae.logVariance?.value ?? Tensor(shape: [1], scalars: [Float(Foundation.log(vae.config.variance))])
    }

    /// Reconstruction and KL terms (nats per image) of `images` with labels, z drawn from `generator`.
    func terms(_ images: Tensor, labels: [Int], context: ForwardContext, share: BatchShare = .whole,
               using generator: inout RandomGenerator) -> (reconstruction: Tensor, kl: Tensor) {
        let (output, mean, logVariance) = reconstruct(images, labels: labels, context: context, share: share, using: &generator)
        return (ELBO.reconstruction(output: output, target: images, likelihood: vae.config.likelihood,
                                    logVariance: likelihoodLogVariance),
                ELBO.kl(mean: mean, logVariance: logVariance))
    }

    /// The decoder's output `[N, C, H, W]` for z drawn from the posterior of `images` with labels,
    /// and that posterior's mean and log-variance `[N, latent]`.
    func reconstruct(_ images: Tensor, labels: [Int], context: ForwardContext, share: BatchShare = .whole,
                     using generator: inout RandomGenerator) -> (output: Tensor, mean: Tensor, logVariance: Tensor) {
        let (mean, logVariance) = vae.encode(images, labels: labels, context: context)
        let z = ELBO.reparameterize(mean: mean, logVariance: logVariance, noise: share.randomNormal(mean.shape, using: &generator))
        return (vae.decode(z, labels: labels, context: context), mean, logVariance)
    }

    public func step(batch: Tensor, labels: [Int], step: Int) -> [Double] {
        if vae.config.isSemiSupervised { return semiSupervisedStep(unlabelled: batch, step: step) }
        let context = share.trainingContext(seed: seed, step: step)
        var noise = RandomStream.noise.generator(seed: seed, step: step)
        let (reconstruction, kl) = terms(batch, labels: vae.config.isConditional ? labels : [], context: context,
                                         share: share, using: &noise)
        let weight = vae.config.klWeight(step: step)
        let loss = reconstruction + kl * Float(weight)
        optimizer.zeroGradients()
        loss.backward()
        optimizer.step()
        let (r, k) = (Double(reconstruction.item), Double(kl.item))
        return [Double(loss.item), r + k, r, k, weight]
    }

    /// The test set's negative ELBO, reconstruction and KL in nats per image, in batches of 500 with
    /// noise from a fixed stream so that every evaluation of the same weights gives the same figure.
    public func evaluate() -> [Double] {
        withoutGradients {
            var noise = RandomStream.evaluationNoise.generator(seed: seed)
            var reconstruction = 0.0, kl = 0.0
            var start = 0
            while start < test.count {
                let indices = Array(start..<Swift.min(test.count, start + 500))
                let labels = vae.config.isConditional ? indices.map { test.labels[$0] } : []
                let (r, k) = terms(test.batch(indices, range: 0...1), labels: labels, context: .inference, using: &noise)
                reconstruction += Double(r.item) * Double(indices.count)
                kl += Double(k.item) * Double(indices.count)
                start += 500
            }
            let n = Double(test.count)
            let accuracy = vae.config.isSemiSupervised ? [Self.accuracy(of: vae, on: test)] : []
            return [(reconstruction + kl) / n, reconstruction / n, kl / n] + accuracy
        }
    }

    public func sampleImages() -> Tensor {
        withoutGradients { vae.pixels(fromOutput: vae.decode(sampleLatents, labels: sampleLabels, context: .inference)) }
    }

    /// Prior samples, then up to 32 test images above their reconstructions (from the posterior mean),
    /// in alternating rows of 8.
    public func sampleGrids() -> [(name: String, images: Tensor)] {
        let count = Swift.min(32, test.count)
        let indices = Array(0..<count)
        let originals = test.batch(indices, range: 0...1)
        let labels = vae.config.isConditional ? indices.map { test.labels[$0] } : []
        let reconstructions = withoutGradients {
            vae.pixels(fromOutput: vae.decode(vae.encode(originals, labels: labels, context: .inference).mean,
                                              labels: labels, context: .inference))
        }
        return [("samples", sampleImages()),
                ("reconstructions", VariationalTask.interleaveRows(originals, reconstructions, columns: 8))]
    }

    /// `[N, C, H, W]` pairs laid out as a row of `columns` originals above their row of reconstructions.
    public static func interleaveRows(_ top: Tensor, _ bottom: Tensor, columns: Int) -> Tensor {
        var parts: [Tensor] = []
        var start = 0
        while start < top.shape[0] {
            let end = Swift.min(top.shape[0], start + columns)
            parts.append(top.sliced(alongAxis: 0, start..<end))
            parts.append(bottom.sliced(alongAxis: 0, start..<end))
            start = end
        }
        return Tensor.concatenate(parts, alongAxis: 0)
    }

    public func modelState(step: Int) throws -> SafeTensors {
        try ModelCheckpoint.encode(vae, config: .vae(vae.config), step: step)
    }

    public func optimizerState() -> SafeTensors {
        ModelCheckpoint.encodeOptimizers(["vae": optimizer])
    }

    public func restore(model: SafeTensors, optimizer: SafeTensors) throws {
        try ModelCheckpoint.load(model, into: vae)
        try ModelCheckpoint.loadOptimizers(optimizer, into: ["vae": self.optimizer])
    }
}
