/// The labelled batch of a semi-supervised step (GAN or VAE): `count` rows of the labelled
/// examples drawn with replacement from (seed, labelled-batch stream, step), so that a resumed run
/// draws the batches an unbroken one would.
enum LabelledBatch {
    /// Row indices into the `total` labelled examples: `[count]`.
    static func rows(count: Int, among total: Int, seed: UInt64, step: Int) -> [Int] {
        var draw = RandomStream.labelledBatch.generator(seed: seed, step: step)
        return (0..<count).map { _ in Int(draw.next() % UInt64(total)) }
    }
}
