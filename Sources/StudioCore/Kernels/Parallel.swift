#if canImport(Glibc)
import Glibc
#endif

/// How many threads the engine's own loops and OpenBLAS may use.
public enum ComputeThreads {
    nonisolated(unsafe) private static var current = ProcessInfoCores.count

    /// The thread count. OpenBLAS itself always runs one thread (see `BLAS`): large products are cut
    /// into panels by shape and spread over these threads, so a run's bytes never depend on this number.
    public static var count: Int {
        get { current }
        set {
            precondition(newValue >= 1, "ComputeThreads.count must be at least 1, got \(newValue)")
            current = newValue
        }
    }

    /// A count a command fixed for the whole process (its `--threads`): training runs it starts then
    /// keep it instead of applying their recipes' `train.threads`. Nil: each run applies its own.
    nonisolated(unsafe) public static var fixed: Int?

    /// Runs `body(i)` for every `i` in `0..<count` on the engine's worker pool (`count` threads at most),
    /// returning when all have run; for the other modules' loops (optimizer updates, feature rows). Which
    /// thread runs an index is not fixed, so `body` must not depend on it.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        ComputePool.shared.run(count, threads: Swift.min(count, self.count), body)
    }
}

enum ProcessInfoCores {
    static let count: Int = {
        let online = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return max(1, online)
    }()
}

/// Splits `0..<count` into chunks of at least `grain` items and runs `body` on each, in parallel when
/// there is more than one chunk. Chunk boundaries depend only on `count` and `grain`, never on the
/// thread count, so that reductions inside a chunk give the same bits however many threads run.
@inline(__always)
func parallelChunks(_ count: Int, grain: Int = 32_768, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let chunks = (count + grain - 1) / grain
    if chunks <= 1 || ComputeThreads.count == 1 {
        body(0..<count)
        return
    }
    let size = (count + chunks - 1) / chunks
    ComputePool.shared.run(chunks, threads: ComputeThreads.count) { chunk in
        let start = chunk * size
        let end = min(count, start + size)
        if start < end { body(start..<end) }
    }
}

/// Runs `body` for each index in `0..<count`, spreading indices over threads when the total
/// `work` (in scalars) is large enough to pay for it.
@inline(__always)
func parallelFor(_ count: Int, work: Int, _ body: (Int) -> Void) {
    guard count > 0 else { return }
    if count == 1 || work < 65_536 || ComputeThreads.count == 1 {
        for i in 0..<count { body(i) }
        return
    }
    // One iteration per index, taken by whichever thread is free: a fixed share per thread left the
    // whole loop waiting on one late-scheduled thread, a quarter of the sampling time in some runs.
    ComputePool.shared.run(count, threads: ComputeThreads.count, body)
}
