import StudioCore

/// Squared Euclidean distances between the rows of two matrices, one block of rows at a time, by
/// `|a|² + |b|² - 2 a·bᵀ` with the product on GEMM; a block holds at most about `scalarBudget`
/// distances, so 10k × 60k pairs never sit in memory at once.
struct PairwiseDistances {
    /// The default block size, in distances (64 MiB of Float).
    static let defaultScalarBudget = 16 << 20

    let rows: Tensor
    let columns: Tensor
    let rowsPerBlock: Int
    private let columnNorms: [Float]

    /// Distances from each row of `rows` `[Na, D]` to each row of `columns` `[Nb, D]`.
    init(rows: Tensor, columns: Tensor, rowsPerBlock: Int? = nil) {
        precondition(rows.rank == 2 && columns.rank == 2 && rows.shape[1] == columns.shape[1],
                     "PairwiseDistances: \(rows.shape) and \(columns.shape) are not [N, D] with one D")
        self.rows = rows
        self.columns = columns
        self.rowsPerBlock = Swift.max(1, rowsPerBlock ?? Self.defaultScalarBudget / Swift.max(1, columns.shape[0]))
        self.columnNorms = Self.squaredNorms(columns)
    }

    /// `|x_i|²` for every row `x_i` of `matrix` `[N, D]`: `[N]`.
    static func squaredNorms(_ matrix: Tensor) -> [Float] {
        let (count, width) = (matrix.shape[0], matrix.shape[1])
        return matrix.withUnsafeBufferPointer { x in
            (0..<count).map { i in
                var sum: Float = 0
                for k in 0..<width { sum += x[i * width + k] * x[i * width + k] }
                return sum
            }
        }
    }

    /// Calls `body(firstRow, block)` for consecutive row blocks, in order; `block` is row-major
    /// `[rows in block, Nb]`, each value clamped at zero because rounding can make it slightly negative.
    func forEachBlock(_ body: (Int, UnsafeBufferPointer<Float>) throws -> Void) rethrows {
        let (count, width) = (rows.shape[0], columns.shape[0])
        guard count > 0, width > 0 else { return }
        for start in stride(from: 0, to: count, by: rowsPerBlock) {
            let range = start..<Swift.min(count, start + rowsPerBlock)
            let slice = FeatureMatrix.rows(rows, range)
            let rowNorms = Self.squaredNorms(slice)
            var block = Tensor.matmul(slice, columns, transposeB: true)
            block.withUnsafeMutableBufferPointer { d in
                let norms = columnNorms
                for r in 0..<range.count {
                    let base = r * width, rowNorm = rowNorms[r]
                    for c in 0..<width {
                        d[base + c] = Swift.max(0, rowNorm + norms[c] - 2 * d[base + c])
                    }
                }
            }
            try block.withUnsafeBufferPointer { try body(start, $0) }
        }
    }
}

/// The `k` smallest values seen so far, ascending; `k` is small (a few neighbours), so insertion wins.
struct SmallestValues {
    private(set) var values: [Float]
    private(set) var indices: [Int]
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        values = []
        indices = []
        values.reserveCapacity(capacity + 1)
        indices.reserveCapacity(capacity + 1)
    }

    /// Offers `value` from `index`; among equal values the earlier offer ranks first.
    mutating func offer(_ value: Float, index: Int) {
        if values.count == capacity, let last = values.last, value >= last { return }
        var position = values.count
        while position > 0 && values[position - 1] > value { position -= 1 }
        values.insert(value, at: position)
        indices.insert(index, at: position)
        if values.count > capacity {
            values.removeLast()
            indices.removeLast()
        }
    }
}
