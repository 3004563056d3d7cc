import Foundation
import StudioCore
import StudioNN
import StudioOptim
import XCTest
@testable import StudioTraining

/// A rank 0 of a two-rank job in one process: the other rank's contribution to every sum is given.
private final class PairedCommunicator: Communicator {
    var otherFloats: [Float] = []
    var otherDoubles: [Double] = []
    private(set) var calls = 0
    let rank = 0
    let size = 2
    func sum(_ values: inout [Float]) {
        calls += 1
        values = zip(values, otherFloats).map { $0 + $1 }
    }
    func sum(_ values: inout [Double]) {
        calls += 1
        values = zip(values, otherDoubles).map { $0 + $1 }
    }
    func maximum(_ values: inout [Double]) { values = zip(values, otherDoubles).map { Swift.max($0, $1) } }
    func barrier() {}
    func abort(code: Int32) -> Never { fatalError("abort \(code)") }
}

/// The pieces of data-parallel training that need no second process: shares, averaging, sync BN.
final class DataParallelTests: XCTestCase {
    func testSharesCutEachGlobalBatchIntoEqualConsecutiveRows() {
        let share = BatchShare(rank: 1, ranks: 4)
        XCTAssertEqual(share.rows(of: 8), 2..<4)
        XCTAssertEqual(share.part(of: Array(10..<18)), [12, 13])
        XCTAssertEqual(BatchShare.whole.part(of: [1, 2, 3]), [1, 2, 3])
    }

    func testEachRankDrawsItsRowsOfTheGlobalBatchsNoise() {
        var single = RandomGenerator(seed: 3, stream: 6, step: 2)
        let whole = Tensor.randomNormal([6, 5], using: &single)
        for rank in 0..<3 {
            var generator = RandomGenerator(seed: 3, stream: 6, step: 2)
            let part = BatchShare(rank: rank, ranks: 3).randomNormal([2, 5], using: &generator)
            XCTAssertEqual(part.scalars, whole.sliced(alongAxis: 0, (2 * rank)..<(2 * rank + 2)).scalars)
        }
    }

    func testRankZeroKeepsTheSingleProcessStreamAndOtherRanksGetTheirOwn() {
        var zero = BatchShare(rank: 0, ranks: 2).generator(.dropout, seed: 9, step: 4)
        var single = RandomStream.dropout.generator(seed: 9, step: 4)
        var one = BatchShare(rank: 1, ranks: 2).generator(.dropout, seed: 9, step: 4)
        let first = zero.next()
        XCTAssertEqual(first, single.next())
        XCTAssertNotEqual(first, one.next())
    }

    func testGradientsAreAveragedThroughOneFlatBufferInParameterOrder() {
        let communicator = PairedCommunicator()
        let parallel = DataParallel(communicator: communicator)
        let a = Parameter(Tensor(shape: [2], scalars: [0, 0])), b = Parameter(Tensor(shape: [1, 2], scalars: [0, 0]))
        a.grad = Tensor(shape: [2], scalars: [1, 2])
        b.grad = Tensor(shape: [1, 2], scalars: [3, 4])
        communicator.otherFloats = [3, 6, 5, 0]
        let optimizer = SGD(parameters: [a, b], learningRate: 1)
        optimizer.gradientReducer = parallel
        optimizer.step()
        XCTAssertEqual(communicator.calls, 1)
        XCTAssertEqual(a.value.scalars, [-2, -4])
        XCTAssertEqual(b.value.scalars, [-4, -2])
        XCTAssertEqual(b.grad?.shape, [1, 2])
    }

    func testMetricsAreAveragedOverTheRanks() {
        let communicator = PairedCommunicator()
        communicator.otherDoubles = [3, 0.5]
        XCTAssertEqual(DataParallel(communicator: communicator).mean([1, 1.5]), [2, 1])
    }

    func testSynchronisedStatisticsAreTheWholeBatchs() {
        var generator = RandomGenerator(seed: 1)
        let batch = Tensor.randomNormal([6, 3, 2, 2], using: &generator) * 2 + 1
        let halves = [batch.sliced(alongAxis: 0, 0..<3), batch.sliced(alongAxis: 0, 3..<6)]
        let weight = Tensor(shape: [3], scalars: [1, 2, 3]), bias = Tensor(shape: [3], scalars: [0, 1, 0])
        let other = halves[1].batchNormalized(weight: weight, bias: bias, epsilon: 1e-5).statistics
        let communicator = PairedCommunicator()
        let means: [Double] = other.mean.scalars.map { Double($0) }
        let squares: [Double] = zip(means, other.variance.scalars).map { (m: Double, v: Float) -> Double in Double(v) + m * m }
        communicator.otherDoubles = means + squares
        let parallel = DataParallel(communicator: communicator)
        let synced = halves[0].batchNormalized(weight: weight, bias: bias, epsilon: 1e-5, replicas: parallel)
        let whole = batch.batchNormalized(weight: weight, bias: bias, epsilon: 1e-5)
        for (x, y) in zip(synced.statistics.mean.scalars, whole.statistics.mean.scalars) { XCTAssertEqual(x, y, accuracy: 1e-5) }
        for (x, y) in zip(synced.statistics.unbiasedVariance.scalars, whole.statistics.unbiasedVariance.scalars) {
            XCTAssertEqual(x, y, accuracy: 1e-4)
        }
        for (x, y) in zip(synced.output.scalars, whole.output.sliced(alongAxis: 0, 0..<3).scalars) { XCTAssertEqual(x, y, accuracy: 1e-4) }
    }

    func testSlurmArrayTasksBecomeShards() throws {
        XCTAssertNil(try Shard.slurmArray(environment: [:]))
        XCTAssertEqual(try Shard.slurmArray(environment: ["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4"]),
                       Shard(index: 2, count: 4))
        XCTAssertEqual(try Shard.slurmArray(environment: ["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "4",
                                                          "SLURM_ARRAY_TASK_MIN": "3"]), Shard(index: 2, count: 4))
        XCTAssertEqual(try Shard.slurmArray(environment: ["SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "3",
                                                          "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_STEP": "2"]),
                       Shard(index: 2, count: 3))
        XCTAssertThrowsError(try Shard.slurmArray(environment: ["SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_COUNT": "4"])) {
            XCTAssertTrue("\($0)".contains("contiguous array"), "\($0)")
        }
        XCTAssertThrowsError(try Shard.slurmArray(environment: ["SLURM_ARRAY_TASK_ID": "1"])) {
            XCTAssertTrue("\($0)".contains("SLURM_ARRAY_TASK_COUNT"), "\($0)")
        }
        XCTAssertEqual(Shard(index: 1, count: 3).directory(in: URL(fileURLWithPath: "/out")).path, "/out/.shards/1-of-3")
    }

    func testOnlyLaunchedProcessesJoinAnMPIJob() {
        XCTAssertNil(MPICommunicator.joinIfLaunched(environment: ["PATH": "/usr/bin"]))
    }
}
