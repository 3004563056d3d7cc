import StudioCore

/// Additive Gaussian noise, the regulariser of Salimans et al.'s semi-supervised discriminator: in
/// training x + N(0, std²) per scalar, in evaluation the identity. Same shape in and out; the
/// gradient passes unchanged.
public struct GaussianNoise: Layer {
    /// The noise's standard deviation, 0 or more.
    public let standardDeviation: Float

    /// A layer adding noise of `standardDeviation`.
    public init(standardDeviation: Float) {
        precondition(standardDeviation >= 0, "GaussianNoise: standard deviation \(standardDeviation) is negative")
        self.standardDeviation = standardDeviation
    }

    /// `[...] -> [...]`; the noise comes from `context.generator`, which advances.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor {
        guard context.isTraining && standardDeviation > 0 else { return input }
        var generator = context.generator
        let noise = Tensor.randomNormal(input.shape, standardDeviation: standardDeviation, using: &generator)
        context.generator = generator
        return input + noise
    }
}
