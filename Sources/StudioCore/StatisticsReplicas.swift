/// The data-parallel replicas of one batch, each holding an equal share of it, over which
/// synchronised batch norm sums its per-channel statistics.
public protocol StatisticsReplicas: AnyObject {
    /// How many replicas share the batch.
    var count: Int { get }
    /// Replaces `values` (`[k]`) with their element-wise sum over the replicas; every replica calls
    /// it in the same order.
    func sum(_ values: inout [Double])
}
