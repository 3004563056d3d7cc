import XCTest
import StudioCore

final class SymmetricEigendecompositionTests: XCTestCase {
    /// A deterministic symmetric `[n, n]` matrix with entries in about [-1, 1].
    private func symmetricMatrix(_ n: Int, seed: UInt64) -> [Double] {
        var generator = RandomGenerator(seed: seed)
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                let value = Double(generator.nextUniform()) * 2 - 1
                a[i * n + j] = value
                a[j * n + i] = value
            }
        }
        return a
    }

    private func assertClose(_ a: [Double], _ b: [Double], tolerance: Double = 1e-10,
                             _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst, tolerance, "\(what): largest difference \(worst)", file: file, line: line)
    }

    func testReconstructsTheMatrixFromOrthonormalVectors() throws {
        let n = 7
        let a = symmetricMatrix(n, seed: 3)
        let eigen = try SymmetricEigendecomposition(symmetric: a, dimension: n)
        XCTAssertEqual(eigen.values, eigen.values.sorted(), "eigenvalues come ascending")
        assertClose(eigen.applying { $0 }, a, "V diag(w) Vᵀ")
        var gram = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                gram[i * n + j] = (0..<n).reduce(0) { $0 + eigen.vectors[i * n + $1] * eigen.vectors[j * n + $1] }
            }
        }
        let identity = (0..<n * n).map { $0 / n == $0 % n ? 1.0 : 0.0 }
        assertClose(gram, identity, "V Vᵀ")
        // Each row is an eigenvector: A v = w v.
        for j in 0..<n {
            for i in 0..<n {
                let av = (0..<n).reduce(0) { $0 + a[i * n + $1] * eigen.vectors[j * n + $1] }
                XCTAssertEqual(av, eigen.values[j] * eigen.vectors[j * n + i], accuracy: 1e-10)
            }
        }
    }

    func testKnownEigenvaluesAndOnlyTheLowerTriangleIsRead() throws {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3; the upper entry is deliberately wrong.
        let eigen = try SymmetricEigendecomposition(symmetric: [2, 99, 1, 2], dimension: 2)
        XCTAssertEqual(eigen.values[0], 1, accuracy: 1e-12)
        XCTAssertEqual(eigen.values[1], 3, accuracy: 1e-12)
        assertClose(eigen.applying { $0 }, [2, 1, 1, 2], "reconstruction from the lower triangle")
    }

    func testSquareRootOfAPositiveDefiniteMatrix() throws {
        let n = 5
        let b = symmetricMatrix(n, seed: 9)
        // B Bᵀ + I is positive definite.
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                a[i * n + j] = (0..<n).reduce(i == j ? 1 : 0) { $0 + b[i * n + $1] * b[j * n + $1] }
            }
        }
        let root = try SymmetricEigendecomposition(symmetric: a, dimension: n).applying { $0.squareRoot() }
        var square = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                square[i * n + j] = (0..<n).reduce(0) { $0 + root[i * n + $1] * root[$1 * n + j] }
            }
        }
        assertClose(square, a, tolerance: 1e-9, "sqrt(A)²")
    }

    func testBadInputIsAnError() {
        XCTAssertThrowsError(try SymmetricEigendecomposition(symmetric: [1, 2, 3], dimension: 2)) { error in
            XCTAssertEqual(error as? SymmetricEigenError, .notSquare(count: 3, dimension: 2))
        }
        XCTAssertThrowsError(try SymmetricEigendecomposition(symmetric: [1, 0, .nan, 1], dimension: 2)) { error in
            XCTAssertEqual(error as? SymmetricEigenError, .nonFinite(index: 2))
            XCTAssertTrue("\(error)".contains("index 2"))
        }
        XCTAssertEqual(try SymmetricEigendecomposition(symmetric: [], dimension: 0).values, [])
    }
}
