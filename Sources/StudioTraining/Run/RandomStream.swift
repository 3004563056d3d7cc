import StudioCore

/// The independent random streams of a run; each draws from `RandomGenerator(seed:stream:step:)`,
/// so resuming or changing one stream's use never shifts another.
public enum RandomStream: UInt64, Sendable {
    case initialization = 1
    case dataOrder = 2
    case latents = 3
    case dropout = 4
    case sampleLatents = 5
    case noise = 6
    case evaluationNoise = 7
    /// Classical augmentation of a classifier's training batch, one generator per step.
    case augmentation = 8
    /// The K examples per class of `ClassSubset`, one generator per class; the number ("REAL" in
    /// ASCII) is the one `eval augmentation` drew its real images with before runs could be subset.
    case classSubset = 0x5245_414C
    /// DiffAugment's draws.
    case diffAugment = 9
    /// A semi-supervised GAN's labelled batch, one generator per step.
    case labelledBatch = 10
    /// The latents that give a GAN's averaged generator its batch-norm statistics (always seed 0, so that
    /// they depend on the weights alone).
    case standingStatistics = 11

    /// The generator of this stream for `step` (or epoch) of a run seeded with `seed`.
    public func generator(seed: UInt64, step: Int = 0) -> RandomGenerator {
        RandomGenerator(seed: seed, stream: rawValue, step: UInt64(step))
    }
}

/// Shuffled mini-batches over a data set, reshuffled each epoch from the run seed; the last
/// partial batch of an epoch is dropped so that every step sees a full batch.
public struct EpochSampler: Sendable {
    public let count: Int
    public let batch: Int
    public let seed: UInt64

    public init(count: Int, batch: Int, seed: UInt64) {
        precondition(batch > 0 && count >= batch, "EpochSampler: batch \(batch) needs at least that many items, have \(count)")
        self.count = count
        self.batch = batch
        self.seed = seed
    }

    /// Full batches in one epoch.
    public var batchesPerEpoch: Int { count / batch }

    /// The shuffled order of epoch `epoch`.
    public func order(epoch: Int) -> [Int] {
        var generator = RandomStream.dataOrder.generator(seed: seed, step: epoch)
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(generator.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        return order
    }

    /// The indices of the batch at (`epoch`, `cursor`) and the position after it; a cursor
    /// past the last full batch moves on to the next epoch.
    public func nextBatch(epoch: Int, cursor: Int, cachedOrder: inout (epoch: Int, order: [Int])?) -> (indices: [Int], epoch: Int, cursor: Int) {
        var epoch = epoch, cursor = cursor
        if cursor + batch > count {
            epoch += 1
            cursor = 0
        }
        if cachedOrder?.epoch != epoch { cachedOrder = (epoch, order(epoch: epoch)) }
        let indices = Array(cachedOrder!.order[cursor..<(cursor + batch)])
        return (indices, epoch, cursor + batch)
    }
}
