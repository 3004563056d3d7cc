import StudioCore
import StudioIO
import StudioModels
import StudioNN

/// The semi-supervised GAN step (Salimans et al. 2016): the discriminator learns the classes of a
/// few labelled images and real against fake on unlabelled and generated ones; the generator
/// matches the discriminator's mean features on the unlabelled batch. The session's batch is the
/// unlabelled one, and its labels are never read.
extension AdversarialTask {
    /// loss_d (both terms), loss_g (feature matching), D(x) on unlabelled and generated images, the
    /// supervised term, and the discriminator's accuracy on the step's labelled batch.
    static let semiSupervisedMetricNames = ["loss_d", "loss_g", "d_real", "d_fake", "loss_supervised", "accuracy_labelled"]

    public var evaluationMetricNames: [String] { loss == .semiSupervised ? ["test_accuracy"] : [] }

    /// One discriminator and one generator update on the unlabelled batch `[B, ...]` and B labelled
    /// images drawn (with replacement) from (seed, labelled stream, step).
    func semiSupervisedStep(unlabelled real: Tensor, step: Int) -> [Double] {
        guard let labelled else { preconditionFailure("AdversarialTask: the semi-supervised loss needs labelled images") }
        let context = ForwardContext(training: true, generator: RandomStream.dropout.generator(seed: seed, step: step))
        var noise = RandomStream.latents.generator(seed: seed, step: step)
        var augmentation = RandomStream.diffAugment.generator(seed: seed, step: step)
        let seen = { (images: Tensor) in self.augment.map { $0(images, using: &augmentation) } ?? images }
        let n = real.shape[0]
        let rows = LabelledBatch.rows(count: n, among: labelled.count, seed: seed, step: step)
        let labels = rows.map { labelled.labels[$0] }

        let z = Tensor.randomNormal([n, gan.config.latentSize], using: &noise)
        let fake = gan.generate(z, labels: [], context: context)
        let labelledLogits = gan.classify(seen(labelled.batch(rows, range: -1...1)), context: context).logits
        let (realFeatures, realLogits) = gan.classify(seen(real), context: context)
        let fakeLogits = gan.classify(seen(fake.detached()), context: context).logits
        let (supervised, unsupervised) = SemiSupervisedLoss.discriminatorLoss(labelled: labelledLogits, labels: labels,
                                                                            unlabelled: realLogits, fake: fakeLogits)
        let lossD = supervised + unsupervised
        optimizerD.zeroGradients()
        lossD.backward(withRespectTo: gan.discriminatorParameters.map(\.parameter.value))
        optimizerD.step()

        // Feature matching against the features D had before its update, as Salimans' code does.
        let lossG = SemiSupervisedLoss.featureMatching(real: realFeatures, fake: gan.classify(seen(fake), context: context).features)
        optimizerG.zeroGradients()
        lossG.backward(withRespectTo: gan.generatorParameters.map(\.parameter.value))
        optimizerG.step()
        updateAverage(step: step)

        return withoutGradients {
            let dReal = realLogits.logSumExp(alongAxes: [1]).sigmoid().mean().item
            let dFake = fakeLogits.logSumExp(alongAxes: [1]).sigmoid().mean().item
            return [Double(lossD.item), Double(lossG.item), Double(dReal), Double(dFake), Double(supervised.item),
                    SemiSupervisedLoss.accuracy(logits: labelledLogits, labels: labels)]
        }
    }

    /// The discriminator's classification accuracy on the test split (none without one).
    public func evaluate() -> [Double] {
        guard loss == .semiSupervised, let test else { return [] }
        return [Self.accuracy(of: gan, on: test)]
    }

    /// The share of `examples` whose largest class logit of `gan`'s discriminator is their label.
    static func accuracy(of gan: GAN, on examples: any LabelledExamples) -> Double {
        examples.topOneAccuracy(range: -1...1) { gan.classify($0, context: .inference).logits }
    }
}
