/// Why a symmetric eigendecomposition could not be made.
public enum SymmetricEigenError: Error, Equatable, CustomStringConvertible {
    /// The scalar count is not `dimension²`.
    case notSquare(count: Int, dimension: Int)
    /// A NaN or infinity at this row-major index; LAPACK would return garbage for it.
    case nonFinite(index: Int)
    /// LAPACK's dsyev did not converge (`offDiagonal` off-diagonal elements did not reach zero).
    case noConvergence(offDiagonal: Int)

    public var description: String {
        switch self {
        case let .notSquare(count, dimension):
            return "symmetric eigendecomposition: \(count) scalars do not make a \(dimension) × \(dimension) matrix"
        case let .nonFinite(index):
            return "symmetric eigendecomposition: the matrix holds a non-finite value at index \(index)"
        case let .noConvergence(offDiagonal):
            return "symmetric eigendecomposition: LAPACK dsyev did not converge (\(offDiagonal) off-diagonal elements left)"
        }
    }
}

/// The eigendecomposition `A = V diag(values) Vᵀ` of a real symmetric matrix, in Double, by LAPACK.
public struct SymmetricEigendecomposition: Sendable, Equatable {
    /// The matrix is `dimension × dimension`.
    public let dimension: Int
    /// The eigenvalues, ascending: `[n]`.
    public let values: [Double]
    /// Unit eigenvectors, row-major `[n, n]`: row `j` belongs to `values[j]`.
    public let vectors: [Double]

    /// Decomposes the row-major symmetric matrix `matrix` `[n, n]`; only its lower triangle
    /// (diagonal included) is read.
    public init(symmetric matrix: [Double], dimension: Int) throws {
        guard dimension >= 0, matrix.count == dimension * dimension else {
            throw SymmetricEigenError.notSquare(count: matrix.count, dimension: dimension)
        }
        for row in 0..<dimension {
            for column in 0...row where !matrix[row * dimension + column].isFinite {
                throw SymmetricEigenError.nonFinite(index: row * dimension + column)
            }
        }
        guard dimension > 0 else {
            (self.dimension, self.values, self.vectors) = (0, [], [])
            return
        }
        var vectors = matrix
        var values = [Double](repeating: 0, count: dimension)
        let info = vectors.withUnsafeMutableBufferPointer { a in
            values.withUnsafeMutableBufferPointer { w in
                BLAS.symmetricEigen(n: dimension, a: a.baseAddress!, values: w.baseAddress!)
            }
        }
        guard info == 0 else { throw SymmetricEigenError.noConvergence(offDiagonal: info) }
        self.dimension = dimension
        self.values = values
        self.vectors = vectors
    }

    /// `V diag(f(values)) Vᵀ`, row-major `[n, n]`: the matrix function `f(A)` (`f = sqrt` gives the
    /// square root of a positive semi-definite matrix).
    public func applying(_ function: (Double) -> Double) -> [Double] {
        let n = dimension
        let mapped = values.map(function)
        var result = [Double](repeating: 0, count: n * n)
        vectors.withUnsafeBufferPointer { v in
            result.withUnsafeMutableBufferPointer { r in
                for j in 0..<n where mapped[j] != 0 {
                    let row = v.baseAddress! + j * n
                    let weight = mapped[j]
                    for i in 0..<n {
                        let scaled = weight * row[i]
                        let out = r.baseAddress! + i * n
                        for k in 0..<n { out[k] += scaled * row[k] }
                    }
                }
            }
        }
        return result
    }
}
