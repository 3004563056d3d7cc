import Foundation
import XCTest
@testable import StudioCore

final class TensorTests: XCTestCase {
    func testBroadcastShapes() {
        XCTAssertEqual(Shape.broadcast([2, 1, 4], [3, 1]), [2, 3, 4])
        XCTAssertNil(Shape.broadcast([2, 3], [4]))
        let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [3], scalars: [10, 20, 30])
        XCTAssertEqual((a + b).scalars, [11, 22, 33, 14, 25, 36])
        let c = Tensor(shape: [2, 1], scalars: [100, 200])
        XCTAssertEqual((a * c).scalars, [100, 200, 300, 800, 1000, 1200])
    }

    /// Every stride pattern of the broadcasting kernel against an index-by-index loop.
    func testBroadcastArithmeticMatchesNaiveLoop() {
        var g = RandomGenerator(seed: 4)
        let pairs: [(Shape, Shape)] = [([2, 3, 4], [4]), ([2, 3, 4], [3, 1]), ([3, 1], [2, 3, 4]), ([4, 1], [1, 3]),
                                       ([2, 1, 4], [1, 3, 1]), ([5], []), ([], [2, 2]), ([2, 3], [2, 3])]
        for (sa, sb) in pairs {
            let a = Tensor.randomUniform(sa, lower: 1, upper: 2, using: &g)
            let b = Tensor.randomUniform(sb, lower: 1, upper: 2, using: &g)
            let out = Shape.broadcast(sa, sb)!
            func element(_ t: Tensor, _ index: [Int]) -> Float {
                let lead = out.rank - t.rank
                var offset = 0
                for axis in 0..<t.rank { offset = offset * t.shape[axis] + (t.shape[axis] == 1 ? 0 : index[lead + axis]) }
                return t.scalars[offset]
            }
            let ops: [(String, (Tensor, Tensor) -> Tensor, (Float, Float) -> Float)] =
                [("+", { $0 + $1 }, { $0 + $1 }), ("-", { $0 - $1 }, { $0 - $1 }),
                 ("*", { $0 * $1 }, { $0 * $1 }), ("/", { $0 / $1 }, { $0 / $1 })]
            for (name, op, scalarOp) in ops {
                let result = op(a, b)
                XCTAssertEqual(result.shape, out)
                var expected: [Float] = []
                for flat in 0..<out.elementCount {
                    var rest = flat
                    var index = [Int](repeating: 0, count: out.rank)
                    for axis in stride(from: out.rank - 1, through: 0, by: -1) {
                        index[axis] = rest % out[axis]
                        rest /= out[axis]
                    }
                    expected.append(scalarOp(element(a, index), element(b, index)))
                }
                XCTAssertEqual(result.scalars, expected, "\(sa) \(name) \(sb)")
            }
        }
    }

    func testBernoulliDrawsOneUniformPerScalar() {
        var g = RandomGenerator(seed: 8)
        var reference = g
        let mask = Tensor.bernoulli([3, 50], probability: 0.6, value: 2.5, using: &g)
        XCTAssertEqual(mask.scalars, (0..<150).map { _ in reference.nextUniform() < 0.6 ? 2.5 : 0 })
        XCTAssertEqual(g, reference, "the caller's generator advances by exactly one draw per scalar")
        XCTAssertEqual(Set(Tensor.bernoulli([100], probability: 0.5, using: &g).scalars), [0, 1])
    }

    func testAllocatorTakesTheTuning() {
        #if os(Linux)
        XCTAssertTrue(TensorMemory.keepFreedStorage())
        #endif
    }

    func testReductionsKeepOrDropAxes() {
        let x = Tensor(shape: [2, 3], scalars: [1, 5, 3, 4, 2, 6])
        XCTAssertEqual(x.sum(alongAxis: 0).scalars, [5, 7, 9])
        XCTAssertEqual(x.sum(alongAxis: 1, keepingDimensions: true).shape, [2, 1])
        XCTAssertEqual(x.max(alongAxis: 1).scalars, [5, 6])
        XCTAssertEqual(x.argmax(alongAxis: 1), [1, 2])
        XCTAssertEqual(x.mean().item, 3.5)
        XCTAssertEqual(x.variance(alongAxes: [1], unbiased: true).scalars, [4, 4])
        XCTAssertEqual(Tensor([1000, 1000]).logSumExp(alongAxes: [0]).item, 1000 + log(2), accuracy: 1e-3)
    }

    func testShapeOpsMoveScalars() {
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(x.transposed().scalars, [1, 4, 2, 5, 3, 6])
        XCTAssertEqual(x.sliced(alongAxis: 1, 1..<3).scalars, [2, 3, 5, 6])
        XCTAssertEqual(x.padded([(0, 0), (1, 0)]).scalars, [0, 1, 2, 3, 0, 4, 5, 6])
        XCTAssertEqual(Tensor.concatenate([x, x], alongAxis: 1).shape, [2, 6])
        let y = Tensor(shape: [2, 1], scalars: [7, 8])
        XCTAssertEqual(Tensor.concatenate([x, y, x.sliced(alongAxis: 1, 0..<2)], alongAxis: 1).scalars,
                       [1, 2, 3, 7, 1, 2, 4, 5, 6, 8, 4, 5])
        XCTAssertEqual(Tensor.concatenate([x, y.reshaped(to: [1, 2]).padded([(0, 0), (0, 1)])], alongAxis: 0).scalars,
                       [1, 2, 3, 4, 5, 6, 7, 8, 0])
        XCTAssertEqual(Tensor.stack([x, x], alongAxis: 0).shape, [2, 2, 3])
        XCTAssertEqual(x.reshaped(to: [-1]).shape, [6])
    }

    func testMatmulMatchesHandProduct() {
        let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        let b = Tensor(shape: [2, 2], scalars: [5, 6, 7, 8])
        XCTAssertEqual(Tensor.matmul(a, b).scalars, [19, 22, 43, 50])
        XCTAssertEqual(Tensor.matmul(a, b, transposeA: true).scalars, [26, 30, 38, 44])
    }

    func testOneHotGatherWhere() {
        XCTAssertEqual(Tensor.oneHot([1, 0], classes: 3).scalars, [0, 1, 0, 1, 0, 0])
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(x.gather(alongAxis: 1, indices: [2, 0], indexCount: 1).scalars, [3, 4])
        let picked = Tensor.where(x.greater(than: 3), x, Tensor(0))
        XCTAssertEqual(picked.scalars, [0, 0, 0, 4, 5, 6])
    }

    func testSeededRandomIsReproducibleAndShaped() {
        var g1 = RandomGenerator(seed: 5, stream: 1)
        var g2 = RandomGenerator(seed: 5, stream: 1)
        var g3 = RandomGenerator(seed: 5, stream: 2)
        let a = Tensor.randomNormal([10_000], using: &g1)
        XCTAssertEqual(a.scalars, Tensor.randomNormal([10_000], using: &g2).scalars)
        XCTAssertNotEqual(a.scalars, Tensor.randomNormal([10_000], using: &g3).scalars)
        XCTAssertEqual(a.mean().item, 0, accuracy: 0.03)
        XCTAssertEqual(a.variance(alongAxes: [0]).item, 1, accuracy: 0.05)
        let u = Tensor.randomUniform([10_000], lower: 2, upper: 4, using: &g1)
        XCTAssertGreaterThanOrEqual(u.min(alongAxes: [0]).item, 2)
        XCTAssertLessThan(u.max().item, 4)
        let restored = RandomGenerator(state: g1.state)
        var copy = restored
        XCTAssertEqual(copy.next(), g1.next())
    }

    /// The reference xoshiro256** sequence from state (1, 2, 3, 4), and the checkpoint encoding of the state.
    func testRandomGeneratorMatchesReferenceAndEncodesItsState() throws {
        var g = RandomGenerator(state: [1, 2, 3, 4])
        XCTAssertEqual((0..<6).map { _ in g.next() },
                       [11520, 0, 1509978240, 1215971899390074240, 1216172134540287360, 607988272756665600])
        XCTAssertEqual(g.state, [13862097262714618497, 31630836743406341, 13866636029399924743, 6931154176001016769])
        let json = try JSONEncoder().encode(g)
        XCTAssertEqual(String(decoding: json, as: UTF8.self),
                       #"{"state":[13862097262714618497,31630836743406341,13866636029399924743,6931154176001016769]}"#)
        var decoded = try JSONDecoder().decode(RandomGenerator.self, from: json)
        XCTAssertEqual(decoded, g)
        XCTAssertEqual(decoded.next(), g.next())
        XCTAssertThrowsError(try JSONDecoder().decode(RandomGenerator.self, from: Data(#"{"state":[0,0,0,0]}"#.utf8)))
    }
}
