import StudioCore
import StudioOptim

/// One rank's part in a data-parallel run: its share of every batch, and the averaging of
/// gradients (one fused allreduce per optimizer step) and of reported metrics over the ranks.
public final class DataParallel: GradientReducer, StatisticsReplicas {
    /// The job's ranks.
    public let communicator: any Communicator
    /// This process's part in the job of `communicator`.
    public init(communicator: any Communicator) {
        self.communicator = communicator
    }

    /// The rows of each batch this rank trains on; with `synchronisingBatchNorm`, its batch-norm
    /// layers normalise by the statistics of the whole batch.
    public func share(synchronisingBatchNorm: Bool = false) -> BatchShare {
        BatchShare(rank: communicator.rank, ranks: communicator.size, statistics: synchronisingBatchNorm ? self : nil)
    }

    /// The ranks sharing each batch.
    public var ranks: Int { communicator.size }

    /// The ranks, as batch norm's replicas.
    public var count: Int { communicator.size }

    /// Sums batch-norm statistics over the ranks.
    public func sum(_ values: inout [Double]) { communicator.sum(&values) }

    /// Whether this rank writes the run directory and prints (rank 0).
    public var isWriter: Bool { communicator.rank == 0 }

    /// Averages the gradients of `parameters` over the ranks through one flat buffer, in the
    /// parameters' order, so that every rank applies the same update.
    public func reduce(_ parameters: [Parameter]) {
        let gradients = parameters.map { $0.grad! }
        var flat: [Float] = []
        flat.reserveCapacity(gradients.reduce(0) { $0 + $1.elementCount })
        for gradient in gradients { gradient.withUnsafeBufferPointer { flat.append(contentsOf: $0) } }
        communicator.sum(&flat)
        let scale = 1 / Float(communicator.size)
        var offset = 0
        for (parameter, gradient) in zip(parameters, gradients) {
            let count = gradient.elementCount
            parameter.grad = Tensor(shape: gradient.shape, scalars: flat[offset..<(offset + count)].map { $0 * scale })
            offset += count
        }
    }

    /// The mean of each metric over the ranks (each rank reports its share's).
    public func mean(_ values: [Double]) -> [Double] {
        var total = values
        communicator.sum(&total)
        return total.map { $0 / Double(communicator.size) }
    }

    /// The bytes one rank sends and receives per optimizer step for a model of `parameterCount`
    /// scalars under a ring allreduce: 2 (N − 1) / N of the buffer each way.
    public static func ringBytes(parameterCount: Int, ranks: Int) -> Double {
        2 * Double(ranks - 1) / Double(ranks) * Double(parameterCount * MemoryLayout<Float>.size)
    }
}
