import StudioCore
import StudioNN

/// Which rows of every global batch one rank of a data-parallel run trains on. Per-example draws
/// (latents, noise, timesteps, warps) are made for the whole global batch and cut to the rank's
/// rows, so that N ranks see the numbers one process would; draws inside layers (dropout) and
/// DiffAugment's use the rank's own stream instead.
public struct BatchShare {
    /// This rank, 0 ..< `ranks`.
    public let rank: Int
    /// The ranks sharing each batch.
    public let ranks: Int
    /// The ranks batch norm synchronises its statistics over (nil: each rank's share alone).
    public let statistics: (any StatisticsReplicas)?

    /// One process with the whole batch.
    public static var whole: BatchShare { BatchShare(rank: 0, ranks: 1) }

    /// Rank `rank` of `ranks`, with batch norm synchronised over `statistics` when given.
    public init(rank: Int, ranks: Int, statistics: (any StatisticsReplicas)? = nil) {
        precondition(ranks >= 1 && (0..<ranks).contains(rank), "BatchShare: rank \(rank) of \(ranks)")
        self.rank = rank
        self.ranks = ranks
        self.statistics = statistics
    }

    /// The training-mode context of `step`: dropout from the rank's own stream, batch norm
    /// synchronised when the share says so.
    public func trainingContext(seed: UInt64, step: Int) -> ForwardContext {
        let context = ForwardContext(training: true, generator: generator(.dropout, seed: seed, step: step))
        context.batchNormReplicas = statistics
        return context
    }

    /// This rank's rows of a global batch of `count` rows (a multiple of `ranks`).
    public func rows(of count: Int) -> Range<Int> {
        precondition(count % ranks == 0, "BatchShare: \(count) rows do not split over \(ranks) ranks")
        let share = count / ranks
        return (rank * share)..<((rank + 1) * share)
    }

    /// This rank's elements of `all`, one per row of the global batch.
    public func part<T>(of all: [T]) -> [T] { Array(all[rows(of: all.count)]) }

    /// This rank's rows of a standard normal draw for the global batch: `[n, ...]` from `[n · ranks, ...]`.
    public func randomNormal(_ shape: Shape, using generator: inout RandomGenerator) -> Tensor {
        part(of: Tensor.randomNormal(globalShape(shape), using: &generator))
    }

    /// This rank's rows of a uniform 0..<1 draw for the global batch: `[n, ...]` from `[n · ranks, ...]`.
    public func randomUniform(_ shape: Shape, using generator: inout RandomGenerator) -> Tensor {
        part(of: Tensor.randomUniform(globalShape(shape), using: &generator))
    }

    /// The generator of `stream` at `step` for draws each rank makes on its own; rank 0's is the
    /// stream a single process uses.
    public func generator(_ stream: RandomStream, seed: UInt64, step: Int) -> RandomGenerator {
        RandomGenerator(seed: seed, stream: stream.rawValue | UInt64(rank) << 40, step: UInt64(step))
    }

    private func globalShape(_ shape: Shape) -> Shape {
        Shape([shape[0] * ranks] + Array(shape.dimensions.dropFirst()))
    }

    private func part(of tensor: Tensor) -> Tensor {
        ranks == 1 ? tensor : tensor.sliced(alongAxis: 0, rows(of: tensor.shape[0]))
    }
}
