import XCTest
@testable import StudioCore

/// The vectorised sum over a non-last axis, the run-wise box copy behind slices and padding, and
/// `expanded(to:)`, each against an index-by-index loop, bit for bit.
final class ReductionAndCopyTests: XCTestCase {
    /// Row-major flat offset of `index` in `shape`.
    private func offset(_ index: [Int], _ shape: Shape) -> Int {
        zip(index, shape.dimensions).reduce(0) { $0 * $1.1 + $1.0 }
    }

    /// Every index of `shape`, in row-major order.
    private func indices(_ shape: Shape) -> [[Int]] {
        (0..<shape.elementCount).map { flat in
            var rest = flat
            return shape.dimensions.reversed().map { size in
                defer { rest /= size }
                return rest % size
            }.reversed()
        }
    }

    /// Sizes that cross the kernel's 64-scalar blocks and the 256-scalar tiles of the parallel split.
    func testSumOverLeadingAxesAddsInRowOrder() {
        var rng = RandomGenerator(seed: 11)
        for shape: Shape in [[3, 5], [7, 70], [5, 2, 300], [2, 9, 3, 129], [1, 1, 4]] {
            let x = Tensor.randomUniform(shape, lower: -1, upper: 1, using: &rng)
            for axis in 0..<(shape.rank - 1) {
                let sums = x.sum(alongAxis: axis, keepingDimensions: true)
                var expected = [Float](repeating: 0, count: sums.elementCount)
                for index in indices(shape) {
                    var target = index
                    target[axis] = 0
                    expected[offset(target, sums.shape)] += x.scalars[offset(index, shape)]
                }
                XCTAssertEqual(sums.scalars, expected, "sum of \(shape) over axis \(axis)")
            }
        }
    }

    func testSlicesCopyTheBoxAlongEveryAxis() {
        var rng = RandomGenerator(seed: 12)
        let shape: Shape = [3, 5, 4, 6]
        let x = Tensor.randomUniform(shape, lower: -1, upper: 1, using: &rng)
        for axis in 0..<shape.rank {
            for range in [0..<shape[axis], 1..<shape[axis], 0..<1, 1..<(shape[axis] - 1)] {
                let slice = x.sliced(alongAxis: axis, range)
                let expected = indices(slice.shape).map { index -> Float in
                    var source = index
                    source[axis] += range.lowerBound
                    return x.scalars[offset(source, shape)]
                }
                XCTAssertEqual(slice.scalars, expected, "slice \(range) of axis \(axis)")
            }
        }
        let box = x.sliced(starts: [1, 0, 1, 0], sizes: [2, 5, 2, 6])
        let expected = indices(box.shape).map { index in
            x.scalars[offset([index[0] + 1, index[1], index[2] + 1, index[3]], shape)]
        }
        XCTAssertEqual(box.scalars, expected)
    }

    func testExpandedRepeatsAlongBroadcastAxes() {
        var rng = RandomGenerator(seed: 13)
        for (source, target) in [([1, 4], [3, 4]), ([3, 1], [3, 5]), ([4], [2, 3, 4]), ([2, 1, 1], [2, 3, 5]),
                                 ([1, 1], [2, 2]), ([1, 3, 1], [2, 3, 4])] as [(Shape, Shape)] {
            let x = Tensor.randomUniform(source, lower: -1, upper: 1, using: &rng)
            let lead = target.rank - source.rank
            let expected = indices(target).map { index in
                x.scalars[offset((0..<source.rank).map { source[$0] == 1 ? 0 : index[lead + $0] }, source)]
            }
            XCTAssertEqual(x.expanded(to: target).scalars, expected, "\(source) to \(target)")
        }
    }
}
