import StudioCore
import StudioNN

/// The semi-supervised VAE's objective (Kingma et al. 2014, "Semi-Supervised Learning with Deep
/// Generative Models", M2): the label is a latent variable, observed for labelled images and inferred
/// by the classifier q(y | x) for the others.
public enum SemiSupervisedELBO {
    /// The unlabelled bound U(x) = Σ_y q(y | x) L(x, y) − H(q(y | x)), averaged over the batch, from
    /// the classifier's logits `[N, C]` and the negative ELBO of every image under every label,
    /// `[C, N]` (row c: each image with label c) -> `[]`.
    public static func unlabelled(logits: Tensor, losses: Tensor) -> Tensor {
        precondition(logits.rank == 2 && losses.shape == [logits.shape[1], logits.shape[0]],
                     "SemiSupervisedELBO.unlabelled: logits \(logits.shape) need losses [classes, N], got \(losses.shape)")
        let logQ = logits - logits.logSumExp(alongAxes: [1], keepingDimensions: true)
        let q = logQ.exp()
        // Σ_y q (L + log q): the expected bound minus the entropy, per image.
        return (q * (losses.transposed() + logQ)).sum(alongAxis: 1).mean()
    }

    /// Every image of `images` `[N, ...]` once per class, class-major: `[C · N, ...]` and its labels
    /// (0 for the first N, 1 for the next N, ...), the batch whose bounds `unlabelled` weighs.
    public static func everyLabel(_ images: Tensor, classes: Int) -> (images: Tensor, labels: [Int]) {
        let n = images.shape[0]
        return (Tensor.concatenate(Array(repeating: images, count: classes), alongAxis: 0),
                (0..<classes).flatMap { Array(repeating: $0, count: n) })
    }

    /// The classifier's term α · cross-entropy of the labelled images' logits `[L, C]` -> `[]`.
    public static func classification(logits: Tensor, labels: [Int], weight: Double) -> Tensor {
        crossEntropy(logits: logits, labels: labels) * Float(weight)
    }
}
