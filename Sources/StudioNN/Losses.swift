import Foundation
import StudioCore

/// How a loss turns its per-element terms into the returned tensor.
public enum LossReduction: Sendable {
    /// The terms themselves, shaped as the loss documents.
    case none
    /// The mean of all terms, PyTorch's default: `[]`.
    case mean
    /// The sum of all terms: `[]`.
    case sum
    /// The sum of all terms divided by the batch size (axis 0), PyTorch's `batchmean`: `[]`.
    case batchMean

    func apply(_ terms: Tensor) -> Tensor {
        switch self {
        case .none: return terms
        case .mean: return terms.mean()
        case .sum: return terms.sum()
        case .batchMean: return terms.sum() / Float(Swift.max(terms.rank == 0 ? 1 : terms.shape[0], 1))
        }
    }
}

private func checkSameShape(_ a: Tensor, _ b: Tensor, _ loss: String, _ names: (String, String)) {
    precondition(a.shape == b.shape, "\(loss): \(names.0) \(a.shape) and \(names.1) \(b.shape) differ")
}

/// Binary cross-entropy of `targets` in [0, 1] under Bernoulli(sigmoid(logits)), computed as
/// softplus(x) - x·t so that large logits neither overflow nor lose precision: `[...]`, `[...]` ->
/// reduced (`[...]` for `.none`). PyTorch's `binary_cross_entropy_with_logits`.
public func binaryCrossEntropy(logits: Tensor, targets: Tensor, reduction: LossReduction = .mean) -> Tensor {
    checkSameShape(logits, targets, "binaryCrossEntropy", ("logits", "targets"))
    return reduction.apply(logits.softplus() - logits * targets)
}

/// The log-likelihood of `targets` in [0, 1] under Bernoulli(sigmoid(logits)), the negative of
/// `binaryCrossEntropy`: `[...]`, `[...]` -> reduced (`[...]` for `.none`).
public func bernoulliLogLikelihood(logits: Tensor, targets: Tensor, reduction: LossReduction = .mean) -> Tensor {
    checkSameShape(logits, targets, "bernoulliLogLikelihood", ("logits", "targets"))
    return reduction.apply(logits * targets - logits.softplus())
}

/// Cross-entropy of integer class labels under softmax(logits), as log Σ e^x - x[label]:
/// `[N, C]` logits, `N` labels in `0..<C` -> reduced (`[N]` for `.none`). PyTorch's `cross_entropy`.
public func crossEntropy(logits: Tensor, labels: [Int], reduction: LossReduction = .mean) -> Tensor {
    precondition(logits.rank == 2 && logits.shape[0] == labels.count,
                 "crossEntropy: logits \(logits.shape) do not match \(labels.count) labels")
    let picked = logits.gather(alongAxis: 1, indices: labels, indexCount: 1).reshaped(to: [labels.count])
    return reduction.apply(logits.logSumExp(alongAxes: [1]) - picked)
}

/// Squared error: `[...]`, `[...]` -> reduced (`[...]` for `.none`). PyTorch's `mse_loss`.
public func mseLoss(predictions: Tensor, targets: Tensor, reduction: LossReduction = .mean) -> Tensor {
    checkSameShape(predictions, targets, "mseLoss", ("predictions", "targets"))
    return reduction.apply((predictions - targets).squared())
}

/// Absolute error: `[...]`, `[...]` -> reduced (`[...]` for `.none`). PyTorch's `l1_loss`.
public func l1Loss(predictions: Tensor, targets: Tensor, reduction: LossReduction = .mean) -> Tensor {
    checkSameShape(predictions, targets, "l1Loss", ("predictions", "targets"))
    return reduction.apply((predictions - targets).abs())
}

/// The negative log-likelihood of `targets` under N(mean, e^logVariance), per element
/// ½(logVariance + (t - mean)² e^-logVariance), plus ½ log 2π when `full`: three `[...]` tensors ->
/// reduced (`[...]` for `.none`). PyTorch's `gaussian_nll_loss` with `var = e^logVariance`.
public func gaussianNLLLoss(mean: Tensor, logVariance: Tensor, targets: Tensor, full: Bool = false,
                            reduction: LossReduction = .mean) -> Tensor {
    checkSameShape(mean, targets, "gaussianNLLLoss", ("mean", "targets"))
    checkSameShape(logVariance, targets, "gaussianNLLLoss", ("logVariance", "targets"))
    var terms = 0.5 * (logVariance + (targets - mean).squared() * (-logVariance).exp())
    if full { terms = terms + Float(0.5 * Foundation.log(2 * Double.pi)) }
    return reduction.apply(terms)
}

/// The log-likelihood of `targets` under N(mean, e^logVariance), the negative of the full
/// `gaussianNLLLoss`: three `[...]` tensors -> reduced (`[...]` for `.none`).
public func gaussianLogLikelihood(mean: Tensor, logVariance: Tensor, targets: Tensor,
                                  reduction: LossReduction = .mean) -> Tensor {
    -gaussianNLLLoss(mean: mean, logVariance: logVariance, targets: targets, full: true, reduction: reduction)
}

/// KL(N(mean, e^logVariance) ‖ N(0, 1)) per element, ½(mean² + e^logVariance - 1 - logVariance),
/// the VAE's prior term: `[...]`, `[...]` -> reduced (`[...]` for `.none`; `.batchMean` of `[N, latent]`
/// gives the usual per-sample ELBO term).
public func gaussianKLDivergence(mean: Tensor, logVariance: Tensor, reduction: LossReduction = .mean) -> Tensor {
    checkSameShape(mean, logVariance, "gaussianKLDivergence", ("mean", "logVariance"))
    return reduction.apply(0.5 * (mean.squared() + logVariance.exp() - 1 - logVariance))
}
