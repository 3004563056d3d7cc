import StudioCore
import StudioNN

/// The semi-supervised GAN's objectives (Salimans et al. 2016, "Improved Techniques for Training
/// GANs", section 5): a discriminator with one logit per class, whose probability of "real" is
/// D(x) = Z(x) / (Z(x) + 1), Z = Σ_k exp(l_k(x)), and a generator trained by feature matching.
public enum SemiSupervisedLoss {
    /// The discriminator's two terms from its logits: cross-entropy of the labelled images' classes
    /// (`[L, C]`, L labels), and real against fake on unlabelled (`[U, C]`) and generated (`[G, C]`)
    /// images, -mean log D(x_u) - mean log(1 - D(G(z))); each a scalar.
    public static func discriminatorLoss(labelled: Tensor, labels: [Int], unlabelled: Tensor,
                                         fake: Tensor) -> (supervised: Tensor, unsupervised: Tensor) {
        (crossEntropy(logits: labelled, labels: labels),
         AdversarialLoss.semiSupervised.discriminatorLoss(real: unlabelled, fake: fake))
    }

    /// Feature matching: the mean over features of the squared difference between the batch means
    /// of the discriminator's features on real (`[N, F]`, held fixed) and generated (`[M, F]`) images.
    public static func featureMatching(real: Tensor, fake: Tensor) -> Tensor {
        precondition(real.rank == 2 && fake.rank == 2 && real.shape[1] == fake.shape[1],
                     "featureMatching: features \(real.shape) and \(fake.shape) differ")
        return (real.detached().mean(alongAxis: 0) - fake.mean(alongAxis: 0)).squared().mean()
    }

    /// The share of rows of `logits` `[N, C]` whose largest logit is at `labels`.
    public static func accuracy(logits: Tensor, labels: [Int]) -> Double {
        let predicted = logits.argmax(alongAxis: 1)
        return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(Swift.max(1, labels.count))
    }
}
