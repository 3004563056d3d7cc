import XCTest
@testable import StudioCore

/// GEMMs cut into panels by shape: the same bits with 1, 2 and 16 threads, values close to a Double
/// reference, and panels that tile the result.
final class GEMMPanelTests: XCTestCase {
    private var generator = RandomGenerator(seed: 20)
    private var savedThreads = 1

    override func setUp() { savedThreads = ComputeThreads.count }
    override func tearDown() { ComputeThreads.count = savedThreads }

    private func random(_ shape: Shape) -> Tensor {
        Tensor.randomUniform(shape, lower: -1, upper: 1, using: &generator)
    }

    /// `result` computed with each thread count; the results' scalars.
    private func withEachThreadCount(_ result: () -> Tensor) -> [[Float]] {
        [1, 2, 16].map { threads in
            ComputeThreads.count = threads
            return result().scalars
        }
    }

    /// `op(a) · op(b)` by loops in Double.
    private func reference(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
        let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let n = transposeB ? b.shape[0] : b.shape[1]
        let x = a.scalars, y = b.scalars
        var out = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let u = transposeA ? x[p * m + i] : x[i * k + p]
                    let v = transposeB ? y[j * k + p] : y[p * n + j]
                    sum += Double(u) * Double(v)
                }
                out[i * n + j] = Float(sum)
            }
        }
        return Tensor(shape: [m, n], scalars: out)
    }

    /// Products whose summed axis passes OpenBLAS's block depth (320), which OpenBLAS's own threads
    /// summed in other blocks than its single thread, in every transpose combination and with panels
    /// along rows and along columns.
    func testProductsHaveTheSameBitsWithAnyThreadCount() {
        for (m, n, k) in [(64, 32, 392), (24, 320, 385), (7, 5, 1000)] {
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    let a = random(transposeA ? [k, m] : [m, k])
                    let b = random(transposeB ? [n, k] : [k, n])
                    let name = "[\(m), \(k)] · [\(k), \(n)], transposes \(transposeA) \(transposeB)"
                    let results = withEachThreadCount {
                        Tensor.matmul(a, b, transposeA: transposeA, transposeB: transposeB)
                    }
                    XCTAssertEqual(results[1], results[0], "\(name): 2 threads")
                    XCTAssertEqual(results[2], results[0], "\(name): 16 threads")
                    let expected = reference(a, b, transposeA: transposeA, transposeB: transposeB)
                    XCTAssertTrue(Tensor(shape: [m, n], scalars: results[0]).isClose(to: expected, absolute: 1e-4, relative: 1e-4),
                                  name)
                }
            }
        }
    }

    /// A batch of small products (attention heads) runs side by side, a batch of large ones panel by panel.
    func testBatchedProductsHaveTheSameBitsWithAnyThreadCount() {
        for (batch, m, n, k) in [(6, 20, 20, 330), (2, 64, 32, 392)] {
            let a = random([batch, m, k]), b = random([batch, n, k])
            let results = withEachThreadCount { Tensor.matmul(a, b, transposeB: true) }
            XCTAssertEqual(results[1], results[0], "batch \(batch): 2 threads")
            XCTAssertEqual(results[2], results[0], "batch \(batch): 16 threads")
            let item = { (t: Tensor, rows: Int) in
                Tensor(shape: [rows, k], scalars: Array(t.scalars[((batch - 1) * rows * k)...]))
            }
            let expected = reference(item(a, m), item(b, n), transposeA: false, transposeB: true)
            let actual = Tensor(shape: [m, n], scalars: Array(results[0][((batch - 1) * m * n)...]))
            XCTAssertTrue(actual.isClose(to: expected, absolute: 1e-4, relative: 1e-4), "batch \(batch)")
        }
    }

    /// A convolution of one image is a single block, whose GEMMs spread their panels over the threads.
    func testASingleImageConvolutionHasTheSameBitsWithAnyThreadCount() {
        let x = random([1, 48, 12, 12]), w = random([32, 48, 3, 3])
        let values = withEachThreadCount { x.conv2d(weight: w, padding: (1, 1)) }
        XCTAssertEqual(values[1], values[0])
        XCTAssertEqual(values[2], values[0])
        let derivatives = withEachThreadCount {
            let (input, weight) = (x.requiringGradient(), w.requiringGradient())
            let y = input.conv2d(weight: weight, padding: (1, 1))
            let grads = gradients(of: (y * y).sum(), withRespectTo: [input, weight]).map { $0!.scalars }
            return Tensor(grads[0] + grads[1])
        }
        XCTAssertEqual(derivatives[1], derivatives[0])
        XCTAssertEqual(derivatives[2], derivatives[0])
    }

    func testPanelsTileTheResultAndDependOnTheShapeOnly() {
        for (m, n, k) in [(1, 1, 1), (64, 32, 784), (40, 400, 385), (4096, 16, 4096), (17, 3000, 9), (100_000, 100_000, 100_000)] {
            let panels = GEMMPanels(m: m, n: n, k: k)
            XCTAssertEqual(panels.alongRows, m >= n)
            XCTAssertGreaterThanOrEqual(panels.count, 1)
            XCTAssertLessThanOrEqual(panels.count, GEMMPanels.maximumCount)
            XCTAssertEqual(panels.size % GEMMPanels.alignment, 0)
            let extent = panels.alongRows ? m : n
            XCTAssertEqual((0..<panels.count).map { panels.range($0).count }.reduce(0, +), extent, "\(m) \(n) \(k)")
            XCTAssertFalse((0..<panels.count).contains { panels.range($0).isEmpty }, "\(m) \(n) \(k)")
        }
        XCTAssertEqual(GEMMPanels(m: 8, n: 8, k: 8).count, 1, "a small product is one call")
        XCTAssertGreaterThan(GEMMPanels(m: 512, n: 512, k: 512).count, 1, "a large product is spread")
    }
}
