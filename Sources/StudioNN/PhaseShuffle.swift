import StudioCore

/// WaveGAN's phase shuffle: in training each example's sequence moves by its own random offset in
/// `-n...n`, the vacated end filled by reflection, so the critic cannot key on the phase of the
/// generator's upsampling artefacts; in evaluation the identity. `[N, C, L] -> [N, C, L]`.
public struct PhaseShuffle: Layer {
    /// The largest shift n; 0 makes the layer the identity.
    public let radius: Int

    /// A phase shuffle by up to `radius` positions either way (WaveGAN uses 2).
    public init(radius: Int) {
        precondition(radius >= 0, "PhaseShuffle: radius must not be negative, got \(radius)")
        self.radius = radius
    }

    /// `[N, C, L] -> [N, C, L]`, L > radius; offsets come from `context.generator`, which advances,
    /// so a training step's shifts are fixed by its seed as dropout masks are.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor {
        guard context.isTraining && radius > 0 else { return input }
        precondition(input.rank == 3 && input.shape[2] > radius,
                     "PhaseShuffle: input must be [N, C, L] with L > \(radius), got \(input.shape)")
        var generator = context.generator
        let span = UInt64(2 * radius + 1)
        let shifts = (0..<input.shape[0]).map { _ in Int(generator.next() % span) - radius }
        context.generator = generator
        return input.phaseShuffled(shifts: shifts)
    }
}
