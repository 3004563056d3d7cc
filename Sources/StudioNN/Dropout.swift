import StudioCore

/// Inverted dropout: in training each scalar is zeroed with `probability` and the survivors scaled
/// by 1/(1 - probability); in evaluation the identity. Same shape in and out.
public struct Dropout: Layer {
    /// The chance that a scalar is zeroed, in `[0, 1]`.
    public let probability: Float

    /// A dropout layer zeroing scalars with `probability`.
    public init(probability: Float = 0.5) {
        precondition(probability >= 0 && probability <= 1, "Dropout: probability \(probability) outside [0, 1]")
        self.probability = probability
    }

    /// `[...] -> [...]`; masks come from `context.generator`, which advances.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor {
        guard context.isTraining && probability > 0 else { return input }
        if probability == 1 { return input * 0 }
        let keep = 1 - probability, scale = 1 / keep
        // The mask holds 0 or 1/keep directly, saving a pass over the activations.
        var generator = context.generator
        let mask = Tensor.bernoulli(input.shape, probability: keep, value: scale, using: &generator)
        context.generator = generator
        return input * mask
    }
}
