import StudioCore
import StudioModels

/// Labelled samples from a semi-supervised GAN, whose generator is unconditional and whose
/// discriminator knows the classes: a sample of class c is the first of its latents to which the
/// discriminator gives class c probability `labelConfidence` or more. Sample i tries its own
/// initial latent first, then latents drawn from a stream seeded by that latent alone, so that it
/// still depends only on (seed, index, class).
extension LoadedGAN {
    /// Latents tried per sample before the class is given up as one the discriminator never names.
    public static let labellingAttempts = 5000

    /// Images `[N] + imageShape` in -1...1, row i of class `labels[i]`, starting from `latents` `[N, D]`.
    func drawLabelled(latents: Tensor, labels: [Int]) throws -> Tensor {
        let n = latents.shape[0], size = gan.config.latentSize
        precondition(labels.count == n, "drawLabelled: \(labels.count) labels for latents \(latents.shape)")
        var current = latents.scalars
        var retries = (0..<n).map { row in
            RandomGenerator(seed: Self.fingerprint(latents.scalars[(row * size)..<((row + 1) * size)]), stream: RandomStream.noise.rawValue)
        }
        var images = [Float](repeating: 0, count: n * gan.config.imageShape.reduce(1, *))
        let imageSize = images.count / Swift.max(1, n)
        var pending = Array(0..<n)
        for _ in 0..<Self.labellingAttempts where !pending.isEmpty {
            let batch = Tensor(shape: [pending.count, size], scalars: pending.flatMap { current[($0 * size)..<(($0 + 1) * size)] })
            let made = generate(latents: batch, useBatchStatistics: usesBatchStatistics)
            let probabilities = withoutGradients { gan.classify(made, context: .inference).logits.softmax() }
            let classes = gan.config.discriminatorClasses, p = probabilities.scalars, pixels = made.scalars
            var still: [Int] = []
            for (position, row) in pending.enumerated() {
                if p[position * classes + labels[row]] >= labelConfidence {
                    images.replaceSubrange((row * imageSize)..<((row + 1) * imageSize),
                                           with: pixels[(position * imageSize)..<((position + 1) * imageSize)])
                } else {
                    let fresh = Tensor.randomNormal([size], using: &retries[row]).scalars
                    current.replaceSubrange((row * size)..<((row + 1) * size), with: fresh)
                    still.append(row)
                }
            }
            pending = still
        }
        if let row = pending.first {
            throw SampleError("the discriminator of \(origin) called none of \(Self.labellingAttempts) samples class \(labels[row]) with probability \(labelConfidence) or more; the model has not learnt that class (train longer or with more labelled examples), or lower --label-confidence")
        }
        return Tensor(shape: Shape([n] + gan.config.imageShape), scalars: images)
    }

    /// A seed from a latent's bit patterns (FNV-1a), so that retries follow from the latent alone.
    static func fingerprint(_ values: ArraySlice<Float>) -> UInt64 {
        values.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { hash, value in
            (hash ^ UInt64(value.bitPattern)) &* 0x100_0000_01b3
        }
    }
}
