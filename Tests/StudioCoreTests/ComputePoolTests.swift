import Dispatch
import Foundation
import XCTest
@testable import StudioCore

/// The worker pool behind `parallelFor` and `parallelChunks`: every index runs exactly once, through many
/// short loops in a row, loops started inside loops and from several threads at once, and a thread
/// count that grows and shrinks.
final class ComputePoolTests: XCTestCase {
    /// How often each index ran, counted under a lock.
    private final class Tally: @unchecked Sendable {
        private let lock = NSLock()
        private var hits: [Int]
        init(_ count: Int) { hits = [Int](repeating: 0, count: count) }
        func add(_ index: Int) { lock.lock(); hits[index] += 1; lock.unlock() }
        var counts: [Int] { lock.lock(); defer { lock.unlock() }; return hits }
    }

    /// Runs one loop of `count` indices on the pool and returns how often each index ran.
    private func counts(_ count: Int, threads: Int) -> [Int] {
        let tally = Tally(count)
        ComputePool.shared.run(count, threads: threads) { tally.add($0) }
        return tally.counts
    }

    func testEveryIndexRunsOnceThroughManyShortLoops() {
        for round in 0..<2_000 {
            let count = 1 + round % 37, threads = 2 + round % 3
            XCTAssertEqual(counts(count, threads: threads), [Int](repeating: 1, count: count), "round \(round)")
        }
    }

    func testWorkersTakeIndices() {
        let lock = NSLock()
        var threads = Set<UInt>()
        ComputePool.shared.run(12, threads: 3) { _ in
            usleep(2_000)
            lock.lock()
            threads.insert(UInt(pthread_self()))
            lock.unlock()
        }
        XCTAssertGreaterThan(threads.count, 1, "every index ran on the calling thread")
    }

    func testALoopInsideALoopRunsOnItsCaller() {
        let tally = Tally(64)
        ComputePool.shared.run(8, threads: 2) { outer in
            ComputePool.shared.run(8, threads: 2) { inner in tally.add(outer * 8 + inner) }
        }
        XCTAssertEqual(tally.counts, [Int](repeating: 1, count: 64))
    }

    func testLoopsFromSeveralThreadsAtOnce() {
        let failures = Tally(1)
        DispatchQueue.concurrentPerform(iterations: 4) { caller in
            for round in 0..<300 {
                let count = 5 + (round + caller) % 20
                if counts(count, threads: 2) != [Int](repeating: 1, count: count) { failures.add(0) }
            }
        }
        XCTAssertEqual(failures.counts, [0])
    }

    func testParallelLoopsKeepTheirResultsAcrossThreadCounts() {
        let saved = ComputeThreads.count
        defer { ComputeThreads.count = saved }
        var generator = RandomGenerator(seed: 7)
        let x = Tensor.randomNormal([64, 300], using: &generator), w = Tensor.randomNormal([300, 200], using: &generator)
        var results: [[UInt32]] = []
        for threads in [1, 4, 2, 3, 1] {
            ComputeThreads.count = threads
            results.append((Tensor.matmul(x, w).relu() * 2).sum(alongAxis: 1).scalars.map(\.bitPattern))
        }
        for result in results.dropFirst() { XCTAssertEqual(result, results[0]) }
    }

    /// The public entry point other modules use runs every index once, on one thread or several.
    func testForEachRunsEveryIndexOnce() {
        let saved = ComputeThreads.count
        defer { ComputeThreads.count = saved }
        for threads in [1, 2, 4] {
            ComputeThreads.count = threads
            for count in [0, 1, 2, 7, 64] {
                let tally = Tally(count)
                ComputeThreads.forEach(count) { tally.add($0) }
                XCTAssertEqual(tally.counts, [Int](repeating: 1, count: count), "\(count) indices on \(threads) threads")
            }
        }
    }
}
