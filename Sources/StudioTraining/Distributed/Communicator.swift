/// The processes of one data-parallel job and the collective operations the training loop needs;
/// every rank calls each operation in the same order.
public protocol Communicator: AnyObject {
    /// This process's rank, 0 ..< `size`.
    var rank: Int { get }
    /// The number of ranks.
    var size: Int { get }
    /// Replaces `values` on every rank with their element-wise sum over the ranks (`[count]`).
    func sum(_ values: inout [Float])
    /// Replaces `values` on every rank with their element-wise sum over the ranks (`[count]`).
    func sum(_ values: inout [Double])
    /// Replaces `values` on every rank with their element-wise maximum over the ranks (`[count]`).
    func maximum(_ values: inout [Double])
    /// Returns when every rank has called it.
    func barrier()
    /// Ends every rank of the job with `code`, for an error one rank cannot recover from.
    func abort(code: Int32) -> Never
}

extension Communicator {
    /// Whether `flag` is true on any rank.
    public func any(_ flag: Bool) -> Bool {
        var value = [flag ? 1.0 : 0.0]
        maximum(&value)
        return value[0] > 0
    }
}
