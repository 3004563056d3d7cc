import StudioCore
import StudioIO
import StudioModels
import StudioNN
import StudioOptim

/// Adversarial training (DESIGN section 4): per step, `criticSteps` discriminator updates, each on
/// its own real batch and fresh fakes, then one generator update through the discriminator; under
/// the non-saturating, hinge or WGAN-GP loss; class-conditional when the model is; or semi-supervised
/// (`AdversarialTask+SemiSupervised.swift`).
public final class AdversarialTask: TrainingTask {
    public let gan: GAN
    let optimizerG: Adam
    let optimizerD: Adam
    /// The optimizers the session schedules.
    public var optimizers: [any Optimizer] { [optimizerG, optimizerD] }
    /// The rows of each global batch this process trains on.
    public var share = BatchShare.whole
    let seed: UInt64
    let batch: Int
    /// The objective both networks are trained under.
    public let loss: AdversarialLoss
    /// Discriminator updates per step; the session hands over that many real batches at once.
    public let criticSteps: Int
    /// The gradient penalty's weight (WGAN-GP only).
    public let gradientPenaltyWeight: Float
    /// The fixed latent batch of every sample grid, `[count, latentSize]`.
    public let sampleLatents: Tensor
    /// The classes of the sample grid (row r shows class r mod classes); empty when unconditional.
    public let sampleLabels: [Int]
    /// The moving average of the generator's weights, when the config asks for one.
    public let ema: ExponentialMovingAverage?
    /// The transforms both networks see real and fake images through (none: identity).
    public let augment: DiffAugment?
    /// R1's gamma on real images, and the interval of its lazy application.
    public let r1: (gamma: Float, interval: Int)?
    /// The semi-supervised loss's labelled images and the test split its discriminator is scored on.
    let labelled: (any LabelledExamples)?, test: (any LabelledExamples)?

    public var metricNames: [String] {
        if loss == .semiSupervised { return Self.semiSupervisedMetricNames }
        return ["loss_d", "loss_g", "d_real", "d_fake"] + (loss == .wganGP ? ["gradient_penalty"] : []) + (r1 == nil ? [] : ["r1"])
    }

    public var batchesPerStep: Int { criticSteps }

    /// A freshly initialised GAN for `config`, trained with Adam as `settings` says; the
    /// semi-supervised loss also takes the `labelled` images (with labels) and a `test` split.
    public init(config: GANConfig, settings: TrainSettings, sampleCount: Int,
                labelled: (any LabelledExamples)? = nil, test: (any LabelledExamples)? = nil) throws {
        var generator = RandomStream.initialization.generator(seed: settings.seed)
        gan = try GAN(config: config, using: &generator)
        let betas = (Float(settings.beta1), Float(settings.beta2))
        optimizerG = Adam(parameters: gan.generatorParameters, learningRate: Float(settings.lr), betas: betas)
        optimizerD = Adam(parameters: gan.discriminatorParameters, learningRate: Float(settings.lr), betas: betas)
        seed = settings.seed
        batch = settings.batch
        loss = settings.resolvedLoss
        criticSteps = settings.resolvedCriticSteps
        gradientPenaltyWeight = Float(settings.resolvedGradientPenaltyWeight)
        var latentGenerator = RandomStream.sampleLatents.generator(seed: settings.seed)
        sampleLatents = Tensor.randomNormal([sampleCount, config.latentSize], using: &latentGenerator)
        let columns = Int(Double(sampleCount).squareRoot().rounded(.up))
        sampleLabels = config.isConditional ? (0..<sampleCount).map { ($0 / columns) % config.classCount } : []
        augment = settings.diffAugment.flatMap { $0.isEmpty ? nil : DiffAugment($0) }
        r1 = settings.r1Gamma.map { (Float($0), settings.r1Interval ?? 1) }
        let generatorParameters = gan.generatorParametersByCheckpointName
        ema = config.emaDecay.map { ExponentialMovingAverage(parameters: generatorParameters, decay: Float($0)) }
        precondition((loss == .semiSupervised) == (labelled != nil), "AdversarialTask: labelled images go with the semi-supervised loss")
        self.labelled = labelled
        self.test = test
    }

    /// One step on `criticSteps` real batches stacked along axis 0 (`[criticSteps · B, ...]`, with as
    /// many labels when conditional); returns loss_d and d_real/d_fake of the last critic update.
    public func step(batch real: Tensor, labels: [Int], step: Int) -> [Double] {
        if loss == .semiSupervised { return semiSupervisedStep(unlabelled: real, step: step) }
        let context = share.trainingContext(seed: seed, step: step)
        var noise = RandomStream.latents.generator(seed: seed, step: step)
        var augmentation = share.generator(.diffAugment, seed: seed, step: step)
        let seen = { (images: Tensor) in self.augment.map { $0(images, using: &augmentation) } ?? images }
        let conditional = gan.config.isConditional
        precondition(real.shape[0] % criticSteps == 0, "AdversarialTask: \(real.shape[0]) samples do not split into \(criticSteps) batches")
        precondition(!conditional || labels.count == real.shape[0], "AdversarialTask: a conditional GAN needs one label per sample")
        let n = real.shape[0] / criticSteps
        var lossD = Tensor(0), penalty = Tensor(0), r1Value = Tensor(0), realScores = Tensor(0), fakeScores = Tensor(0)
        var fake = Tensor(0), fakeLabels: [Int] = []

        for critic in 0..<criticSteps {
            let chunk = real.sliced(alongAxis: 0, (critic * n)..<((critic + 1) * n))
            let chunkLabels = conditional ? Array(labels[(critic * n)..<((critic + 1) * n)]) : []
            let z = share.randomNormal([n, gan.config.latentSize], using: &noise)
            // Fakes are conditioned on the real batch's labels, so both halves of D's batch share a class mix.
            fakeLabels = chunkLabels
            fake = gan.generate(z, labels: fakeLabels, context: context)
            let realSeen = seen(chunk)
            realScores = gan.discriminate(realSeen, labels: chunkLabels, context: context)
            fakeScores = gan.discriminate(seen(fake.detached()), labels: fakeLabels, context: context)
            lossD = loss.discriminatorLoss(real: realScores, fake: fakeScores)
            // Lazy R1: every `interval` steps, scaled by it, on the last critic update of the step.
            if let r1, step % r1.interval == 0, critic == criticSteps - 1 {
                r1Value = r1Penalty(real: realSeen) { gan.discriminate($0, labels: chunkLabels, context: context) }
                lossD = lossD + (r1.gamma / 2 * Float(r1.interval)) * r1Value
            }
            if loss == .wganGP {
                let mixing = share.randomUniform([n], using: &noise)
                penalty = gradientPenalty(real: chunk, fake: fake, mixing: mixing) {
                    gan.discriminate($0, labels: chunkLabels, context: context)
                }
                lossD = lossD + gradientPenaltyWeight * penalty
            }
            optimizerD.zeroGradients()
            lossD.backward(withRespectTo: gan.discriminatorParameters.map(\.parameter.value))
            optimizerD.step()
        }

        // The generator learns from the last critic iteration's fakes, scored by the updated critic.
        let lossG = loss.generatorLoss(fake: gan.discriminate(seen(fake), labels: fakeLabels, context: context))
        optimizerG.zeroGradients()
        // D's weight gradients from this pass would be cleared unused before D's next update, so
        // they are not computed: the G update is the same, without D's weight-gradient GEMMs.
        lossG.backward(withRespectTo: gan.generatorParameters.map(\.parameter.value))
        optimizerG.step()
        updateAverage(step: step)

        let (dReal, dFake) = withoutGradients {
            loss == .nonSaturating ? (realScores.sigmoid().mean().item, fakeScores.sigmoid().mean().item)
                                   : (realScores.mean().item, fakeScores.mean().item)
        }
        return [Double(lossD.item), Double(lossG.item), Double(dReal), Double(dFake)]
            + (loss == .wganGP ? [Double(penalty.item)] : []) + (r1 == nil ? [] : [Double(r1Value.item)])
    }

    /// Moves the generator's average after its update (copies the weights before `ema_start`).
    func updateAverage(step: Int) {
        guard let ema else { return }
        if step < gan.config.emaStart { ema.follow() } else { ema.update() }
    }

    /// The one grid of `sampleImages()`, named "samples".
    public func sampleGrids() -> [(name: String, images: Tensor)] { [("samples", sampleImages())] }

    /// The fixed latents through the generator: its averaged weights when it has them, with their own
    /// batch-norm statistics, as sampling uses; the trained statistics are put back for training.
    public func sampleImages() -> Tensor {
        let draw = { withoutGradients { self.gan.generate(self.sampleLatents, labels: self.sampleLabels, context: .inference) } }
        guard let ema else { return draw() }
        return ema.withAveragedParameters {
            let buffers = gan.generator.namedBuffers.map { ($0.buffer, $0.buffer.value) }
            defer { for (buffer, value) in buffers { buffer.value = value } }
            var stream = RandomStream.standingStatistics.generator(seed: 0)
            gan.recalibrateGeneratorStatistics(using: &stream)
            return draw()
        }
    }

    /// Both networks' weights under PyTorch's names, and the generator's average under `ema.`.
    public func modelState(step: Int) throws -> SafeTensors {
        var file = try ModelCheckpoint.encode(gan, config: .gan(gan.config), step: step)
        if let ema { ModelCheckpoint.appendAverage(ema, to: &file) }
        return file
    }

    public func optimizerState() -> SafeTensors {
        var file = ModelCheckpoint.encodeOptimizers(["generator": optimizerG, "discriminator": optimizerD])
        if let ema { ModelCheckpoint.appendAverageCounter(ema, to: &file) }
        return file
    }

    public func restore(model: SafeTensors, optimizer: SafeTensors) throws {
        let (trained, averaged) = ModelCheckpoint.splitAverage(model)
        try gan.loadState(trained)
        if let ema { try ModelCheckpoint.restoreAverage(ema, values: averaged, optimizer: optimizer) }
        try ModelCheckpoint.loadOptimizers(optimizer, into: ["generator": optimizerG, "discriminator": optimizerD])
    }
}
