import Foundation
import StudioCore
import StudioModels

/// The terms of the negative evidence lower bound, each summed over an image and averaged over the
/// batch: nats per image, as PyTorch's VAE example reports its loss.
public enum ELBO {
    /// The reconstruction term −log p(x | z): `[N, C, H, W]` decoder output and targets in 0...1 -> `[]`.
    /// Bernoulli: binary cross-entropy of the logits; Gaussian: the normal density with `logVariance`
    /// (`[1]`, shared by every pixel) around the output as mean.
    public static func reconstruction(output: Tensor, target: Tensor, likelihood: VAEConfig.Likelihood,
                                      logVariance: Tensor? = nil) -> Tensor {
        precondition(output.shape == target.shape, "ELBO.reconstruction: output \(output.shape) and target \(target.shape) differ")
        let n = Float(output.shape[0])
        switch likelihood {
        case .bernoulli:
            return (output.softplus() - output * target).sum() / n
        case .gaussian:
            let logVariance = logVariance ?? Tensor(shape: [1], scalars: [0])
            let halfLogTwoPi = Float(0.5 * Foundation.log(2 * Double.pi))
            let squared = (target - output).squared() * (logVariance * -1).exp() * 0.5
            let perPixel = squared + logVariance * 0.5 + halfLogTwoPi
            return perPixel.sum() / n
        }
    }

    /// KL(q(z | x) ‖ N(0, I)) of the diagonal Gaussian posterior: `[N, latent]` mean and log-variance -> `[]`.
    public static func kl(mean: Tensor, logVariance: Tensor) -> Tensor {
        precondition(mean.shape == logVariance.shape, "ELBO.kl: mean \(mean.shape) and logVariance \(logVariance.shape) differ")
        let terms = logVariance + 1 - mean.squared() - logVariance.exp()
        return terms.sum() * (-0.5 / Float(mean.shape[0]))
    }

    /// The latents z = mean + exp(logVariance / 2) · ε with ε drawn from `generator`: `[N, latent]`.
    public static func reparameterize(mean: Tensor, logVariance: Tensor, using generator: inout RandomGenerator) -> Tensor {
        reparameterize(mean: mean, logVariance: logVariance, noise: Tensor.randomNormal(mean.shape, using: &generator))
    }

    /// The latents z = mean + exp(logVariance / 2) · `noise`: `[N, latent]`.
    public static func reparameterize(mean: Tensor, logVariance: Tensor, noise: Tensor) -> Tensor {
        mean + (logVariance * 0.5).exp() * noise
    }
}

extension ELBO {
    /// The reconstruction term of each image, as `reconstruction` scores it: `[N, C, H, W]` -> `[N]`.
    public static func reconstructionPerImage(output: Tensor, target: Tensor, likelihood: VAEConfig.Likelihood,
                                              logVariance: Tensor? = nil) -> Tensor {
        precondition(output.shape == target.shape && output.rank >= 2,
                     "ELBO.reconstructionPerImage: output \(output.shape) and target \(target.shape) differ")
        let pixels = Array(1..<output.rank)
        switch likelihood {
        case .bernoulli:
            return (output.softplus() - output * target).sum(alongAxes: pixels)
        case .gaussian:
            let logVariance = logVariance ?? Tensor(shape: [1], scalars: [0])
            let halfLogTwoPi = Float(0.5 * Foundation.log(2 * Double.pi))
            let squared = (target - output).squared() * (logVariance * -1).exp() * 0.5
            return (squared + logVariance * 0.5 + halfLogTwoPi).sum(alongAxes: pixels)
        }
    }

    /// KL(q(z | x) ‖ N(0, I)) of each posterior: `[N, latent]` mean and log-variance -> `[N]`.
    public static func klPerImage(mean: Tensor, logVariance: Tensor) -> Tensor {
        precondition(mean.shape == logVariance.shape && mean.rank == 2,
                     "ELBO.klPerImage: mean \(mean.shape) and logVariance \(logVariance.shape) differ")
        return (logVariance + 1 - mean.squared() - logVariance.exp()).sum(alongAxis: 1) * -0.5
    }
}
