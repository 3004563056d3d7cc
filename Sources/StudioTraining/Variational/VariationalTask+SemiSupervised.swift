import StudioCore
import StudioIO
import StudioModels
import StudioNN

/// The semi-supervised VAE step (M2): the bound of a few labelled images with their labels, the
/// bound of the unlabelled batch summed over the labels the classifier gives it, and the classifier's
/// cross-entropy on the labelled images (with `[augment]`, changed by classical augmentation).
/// The session's batch is the unlabelled one; its labels are never read.
extension VariationalTask {
    /// The M2 step's metrics after the plain VAE's (those are the labelled batch's).
    static let semiSupervisedMetricNames = ["loss_unlabelled", "loss_supervised", "accuracy_labelled"]

    /// The negative ELBO of each image `[N, ...]` with its label: `[N]`.
    func boundPerImage(_ images: Tensor, labels: [Int], klWeight: Double, context: ForwardContext,
                       using generator: inout RandomGenerator) -> Tensor {
        let (output, mean, logVariance) = reconstruct(images, labels: labels, context: context, using: &generator)
        return ELBO.reconstructionPerImage(output: output, target: images, likelihood: vae.config.likelihood,
                                           logVariance: likelihoodLogVariance)
            + ELBO.klPerImage(mean: mean, logVariance: logVariance) * Float(klWeight)
    }

    /// One Adam step on the unlabelled batch `[B, C, H, W]` and B labelled images drawn (with
    /// replacement) from (seed, labelled stream, step).
    func semiSupervisedStep(unlabelled images: Tensor, step: Int) -> [Double] {
        guard let labelled else { preconditionFailure("VariationalTask: a semi-supervised VAE needs labelled images") }
        let context = ForwardContext(training: true, generator: RandomStream.dropout.generator(seed: seed, step: step))
        var noise = RandomStream.noise.generator(seed: seed, step: step)
        let n = images.shape[0]
        let rows = LabelledBatch.rows(count: n, among: labelled.count, seed: seed, step: step)
        let labels = rows.map { labelled.labels[$0] }
        let labelledImages = labelled.batch(rows, range: 0...1)
        let weight = vae.config.klWeight(step: step)

        let (reconstruction, kl) = terms(labelledImages, labels: labels, context: context, using: &noise)
        // The bound reads the labelled images as they are; the classifier may see them augmented, as
        // the real + classical baseline's classifier does.
        var warp = RandomStream.augmentation.generator(seed: seed, step: step)
        let labelledLogits = vae.classify(augmentation.map { $0(labelledImages, using: &warp) } ?? labelledImages, context: context)
        let supervised = SemiSupervisedELBO.classification(logits: labelledLogits, labels: labels,
                                                           weight: vae.config.classificationWeight)
        let repeated = SemiSupervisedELBO.everyLabel(images, classes: vae.config.classCount)
        let bounds = boundPerImage(repeated.images, labels: repeated.labels, klWeight: weight, context: context, using: &noise)
        let unlabelledLoss = SemiSupervisedELBO.unlabelled(logits: vae.classify(images, context: context),
                                                           losses: bounds.reshaped(to: [vae.config.classCount, n]))
        let loss = reconstruction + kl * Float(weight) + unlabelledLoss + supervised
        optimizer.zeroGradients()
        loss.backward()
        optimizer.step()
        let (r, k) = (Double(reconstruction.item), Double(kl.item))
        return [Double(loss.item), r + k, r, k, weight, Double(unlabelledLoss.item), Double(supervised.item),
                SemiSupervisedLoss.accuracy(logits: labelledLogits, labels: labels)]
    }

    /// The share of `examples` whose largest logit of `vae`'s classifier is their label.
    public static func accuracy(of vae: VAE, on examples: any LabelledExamples) -> Double {
        examples.topOneAccuracy(range: 0...1) { vae.classify($0, context: .inference) }
    }
}
