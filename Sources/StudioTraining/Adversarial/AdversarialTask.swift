import StudioCore
import StudioIO
import StudioModels
import StudioNN
import StudioOptim

/// Non-saturating GAN training (DESIGN section 4): per step, G makes one fake batch; D learns from
/// the real batch and the detached fakes; then G learns through D with the fakes labelled real.
public final class AdversarialTask: TrainingTask {
    public let gan: GAN
    let optimizerG: Adam
    let optimizerD: Adam
    let seed: UInt64
    let batch: Int
    /// The fixed latent batch of every sample grid, `[count, latentSize]`.
    public let sampleLatents: Tensor

    public let metricNames = ["loss_d", "loss_g", "d_real", "d_fake"]

    /// A freshly initialised GAN for `config`, trained with Adam as `settings` says.
    public init(config: GANConfig, settings: TrainSettings, sampleCount: Int) throws {
        var generator = RandomStream.initialization.generator(seed: settings.seed)
        gan = try GAN(config: config, using: &generator)
        let betas = (Float(settings.beta1), Float(settings.beta2))
        optimizerG = Adam(parameters: gan.generator.namedParameters, learningRate: Float(settings.lr), betas: betas)
        optimizerD = Adam(parameters: gan.discriminator.namedParameters, learningRate: Float(settings.lr), betas: betas)
        seed = settings.seed
        batch = settings.batch
        var latentGenerator = RandomStream.sampleLatents.generator(seed: settings.seed)
        sampleLatents = Tensor.randomNormal([sampleCount, config.latentSize], using: &latentGenerator)
    }

    public func step(batch real: Tensor, labels: [Int], step: Int) -> [Double] {
        let context = ForwardContext(training: true, generator: RandomStream.dropout.generator(seed: seed, step: step))
        var latentGenerator = RandomStream.latents.generator(seed: seed, step: step)
        let z = Tensor.randomNormal([real.shape[0], gan.config.latentSize], using: &latentGenerator)
        let ones = Tensor(ones: [real.shape[0], 1]), zeros = Tensor(zeros: [real.shape[0], 1])

        let fake = gan.generator(z, context: context)
        let realLogits = gan.discriminator(real, context: context)
        let fakeLogits = gan.discriminator(fake.detached(), context: context)
        let lossD = binaryCrossEntropy(logits: realLogits, targets: ones)
            + binaryCrossEntropy(logits: fakeLogits, targets: zeros)
        optimizerD.zeroGradients()
        lossD.backward()
        optimizerD.step()

        let lossG = binaryCrossEntropy(logits: gan.discriminator(fake, context: context), targets: ones)
        optimizerG.zeroGradients()
        // D's weight gradients from this pass would be cleared unused before D's next update, so
        // they are not computed: the G update is the same, without D's weight-gradient GEMMs.
        lossG.backward(withRespectTo: gan.generator.parameters.map(\.value))
        optimizerG.step()

        let dReal = withoutGradients { realLogits.sigmoid().mean().item }
        let dFake = withoutGradients { fakeLogits.sigmoid().mean().item }
        return [Double(lossD.item), Double(lossG.item), Double(dReal), Double(dFake)]
    }

    public func sampleImages() -> Tensor {
        withoutGradients { gan.generator(sampleLatents, context: .inference) }
    }

    public func modelState(step: Int) throws -> SafeTensors {
        try ModelCheckpoint.encode(gan, config: .gan(gan.config), step: step)
    }

    public func optimizerState() -> SafeTensors {
        ModelCheckpoint.encodeOptimizers(["generator": optimizerG, "discriminator": optimizerD])
    }

    public func restore(model: SafeTensors, optimizer: SafeTensors) throws {
        try ModelCheckpoint.load(model, into: gan)
        try ModelCheckpoint.loadOptimizers(optimizer, into: ["generator": optimizerG, "discriminator": optimizerD])
    }
}
