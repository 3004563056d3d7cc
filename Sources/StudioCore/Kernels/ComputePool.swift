#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels
import Synchronization

/// The engine's worker threads: `ComputeThreads.count - 1` of them, which, with the calling thread, take the
/// indices of one parallel loop at a time.
///
/// Between loops a worker spins for a moment before it sleeps, so that the next loop (a training step runs
/// hundreds, many of a few microseconds) starts without waking a thread through the kernel: with
/// libdispatch that hand-off cost more than a small loop's work. A loop started while another runs (from
/// inside one, or from another thread) runs on its caller alone. Which thread takes an index never
/// changes what the index computes, so results do not depend on this pool.
final class ComputePool: @unchecked Sendable {
    static let shared = ComputePool()

    /// Spins of a waiting worker (each a pause instruction, tens of nanoseconds) before it sleeps.
    private static let spins = 4_000

    /// The loop being run: its generation (upper 32 bits) and next unclaimed index (lower 32 bits).
    /// Claiming with the generation in the same word keeps a worker that read an older loop's body from
    /// taking an index of a newer one.
    private let claim = Atomic<Int>(0)
    /// Indices claimed but not yet finished, plus those not yet claimed.
    private let remaining = Atomic<Int>(0)
    /// The generation of the loop workers should join; a worker sleeps while it equals the last it saw.
    private let published = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let sleepers = Atomic<Int>(0)
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// The loop's body, index count and worker count: set while no worker can claim an index (the claim
    /// word already carries the new generation, with every index taken), read by a worker only once it
    /// holds an index of that loop, which keeps the loop from finishing.
    nonisolated(unsafe) private var body: ((Int) -> Void)?
    private let count = Atomic<Int>(0)
    private let participants = Atomic<Int>(0)
    /// Touched only by the thread that holds `busy`.
    nonisolated(unsafe) private var workers = 0
    nonisolated(unsafe) private var generation = 0

    private init() {
        pthread_mutex_init(lock, nil)
        pthread_cond_init(wake, nil)
    }

    /// Runs `body(i)` for every `i` in `0..<count` on `threads` threads (the caller and `threads - 1`
    /// workers), returning when all have finished; or on the caller alone when the pool is in use.
    func run(_ count: Int, threads: Int, _ body: (Int) -> Void) {
        guard count > 1, threads > 1, count < 1 << 31,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for i in 0..<count { body(i) }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        while workers < threads - 1 { startWorker(workers) }
        withoutActuallyEscaping(body) { body in
            generation += 1
            claim.store(generation << 32 | 0x7FFF_FFFF, ordering: .sequentiallyConsistent)
            self.body = body
            // Releasing: a worker that reads the new count also sees the claim word's new generation.
            self.count.store(count, ordering: .releasing)
            participants.store(threads - 1, ordering: .relaxed)
            remaining.store(count, ordering: .relaxed)
            claim.store(generation << 32, ordering: .sequentiallyConsistent)
            published.store(generation, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(lock)
                pthread_cond_broadcast(wake)
                pthread_mutex_unlock(lock)
            }
            work(generation, body)
            var waited = 0
            while remaining.load(ordering: .acquiring) > 0 {
                // A worker holding an index may have lost its core (more threads than cores): then give
                // it this one.
                waited += 1
                if waited < Self.spins { studio_pause() } else { sched_yield() }
            }
            self.body = nil
        }
    }

    /// Takes and runs indices of loop `generation` until none is left; `body` is the loop's, or nil for a
    /// worker, which reads it once it holds an index.
    private func work(_ generation: Int, _ body: ((Int) -> Void)?) {
        while true {
            var current = claim.load(ordering: .acquiring)
            var index = 0
            while true {
                index = current & 0xFFFF_FFFF
                guard current >> 32 == generation, index < count.load(ordering: .acquiring) else { return }
                let (exchanged, original) = claim.compareExchange(expected: current, desired: current + 1,
                                                                  ordering: .acquiringAndReleasing)
                if exchanged { break }
                current = original
            }
            if let body { body(index) } else { runPublished(index) }
            remaining.subtract(1, ordering: .releasing)
        }
    }

    /// A worker's call of the published body, kept out of line so that its copy of the closure is
    /// released before the index is counted as done.
    @inline(never)
    private func runPublished(_ index: Int) {
        body!(index)
    }

    private func startWorker(_ id: Int) {
        workers += 1
        var thread = pthread_t()
        let context = Unmanaged.passRetained(WorkerContext(pool: self, id: id)).toOpaque()
        let created = pthread_create(&thread, nil, { context in
            let box = Unmanaged<WorkerContext>.fromOpaque(context!).takeRetainedValue()
            box.pool.workerLoop(box.id)
            return nil
        }, context)
        precondition(created == 0, "ComputePool: could not start a worker thread (error \(created))")
        pthread_detach(thread)
    }

    private func workerLoop(_ id: Int) {
        var seen = published.load(ordering: .acquiring)
        while true {
            // With more threads than cores a spinning worker would take a core from one with work.
            let limit = participants.load(ordering: .relaxed) < ProcessInfoCores.count ? Self.spins : 0
            var spun = 0
            while published.load(ordering: .acquiring) == seen && spun < limit {
                studio_pause()
                spun += 1
            }
            if published.load(ordering: .acquiring) == seen {
                pthread_mutex_lock(lock)
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while published.load(ordering: .sequentiallyConsistent) == seen { pthread_cond_wait(wake, lock) }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                pthread_mutex_unlock(lock)
            }
            seen = published.load(ordering: .acquiring)
            // A newer loop may have replaced this one since; then the claim word's generation turns the
            // worker away before it reads anything else of the loop.
            guard id < participants.load(ordering: .relaxed) else { continue }
            work(seen, nil)
        }
    }

    private final class WorkerContext {
        let pool: ComputePool
        let id: Int
        init(pool: ComputePool, id: Int) { (self.pool, self.id) = (pool, id) }
    }
}
