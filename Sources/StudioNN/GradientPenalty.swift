import StudioCore

/// WGAN-GP's gradient penalty (Gulrajani et al. 2017): `mean_b (‖∇ critic(x̂_b)‖₂ - 1)²` at
/// `x̂ = mixing · real + (1 - mixing) · fake`, a scalar `[]` differentiable in the critic's weights
/// (the backward pass through the critic is recorded). `real`, `fake` `[N, ...]`; `mixing` `[N]` in [0, 1].
public func gradientPenalty(real: Tensor, fake: Tensor, mixing: Tensor, critic: (Tensor) -> Tensor) -> Tensor {
    precondition(real.shape == fake.shape && real.rank >= 2, "gradientPenalty: real \(real.shape) and fake \(fake.shape) must be equal [N, ...]")
    precondition(mixing.shape == [real.shape[0]], "gradientPenalty: mixing \(mixing.shape) must be [\(real.shape[0])]")
    let n = real.shape[0]
    let weights = mixing.detached().reshaped(to: Shape([n] + [Int](repeating: 1, count: real.rank - 1)))
    let interpolates = (real.detached() * weights + fake.detached() * (1 - weights)).requiringGradient()
    let scores = critic(interpolates)
    let slopes = gradients(of: scores.sum(), withRespectTo: [interpolates], createGraph: true)[0]!
    // The tiny constant keeps the norm's derivative finite where a gradient vanishes (PyTorch's norm gives 0 there).
    let norms = (slopes.reshaped(to: [n, -1]).squared().sum(alongAxis: 1) + 1e-12).sqrt()
    return (norms - 1).squared().mean()
}

/// The R1 penalty (Mescheder et al. 2018): `mean_b ‖∇ₓ critic(x_b)‖₂²` at the real images `real`
/// `[N, ...]`, a scalar `[]` differentiable in the critic's weights (the backward pass through the
/// critic is recorded). The trainer scales it by gamma / 2.
public func r1Penalty(real: Tensor, critic: (Tensor) -> Tensor) -> Tensor {
    precondition(real.rank >= 2, "r1Penalty: real \(real.shape) must be [N, ...]")
    let inputs = real.detached().requiringGradient()
    let slopes = gradients(of: critic(inputs).sum(), withRespectTo: [inputs], createGraph: true)[0]!
    return slopes.reshaped(to: [real.shape[0], -1]).squared().sum(alongAxis: 1).mean()
}
