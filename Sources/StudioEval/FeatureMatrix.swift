import StudioCore

/// Checks and helpers shared by the metrics: every input is a row-per-sample matrix.
enum FeatureMatrix {
    /// Throws unless `tensor` is `[N, D]` with `N >= minimumRows`, `D >= 1` and only finite values.
    static func validate(_ tensor: Tensor, _ argument: String, minimumRows: Int = 1,
                         reason: String = "the metric is undefined otherwise") throws {
        guard tensor.rank == 2, tensor.shape[1] >= 1 else {
            throw EvaluationError.badShape(argument: argument, shape: tensor.shape, expected: "[N, D] with D >= 1")
        }
        guard tensor.shape[0] >= minimumRows else {
            throw EvaluationError.tooFewRows(argument: argument, count: tensor.shape[0], minimum: minimumRows,
                                             reason: reason)
        }
        try requireFinite(tensor, argument)
    }

    /// Throws naming the first NaN or infinity of `tensor`, read as rows of `shape[1...]` scalars.
    static func requireFinite(_ tensor: Tensor, _ argument: String) throws {
        let width = tensor.rank > 0 ? tensor.elementCount / Swift.max(1, tensor.shape[0]) : 1
        let bad = tensor.withUnsafeBufferPointer { $0.firstIndex { !$0.isFinite } }
        if let bad { throw EvaluationError.nonFinite(argument: argument, row: bad / width, column: bad % width) }
    }

    /// `tensor` `[N, ...]` as `[N, product of the rest]`.
    static func flattenedRows(_ tensor: Tensor) -> Tensor {
        let rows = tensor.shape[0]
        return tensor.reshaped(to: [rows, rows == 0 ? 0 : tensor.elementCount / rows])
    }

    /// The rows `indices` of the matrix `tensor` `[N, D]`, in that order: `[indices.count, D]`.
    static func rows(_ tensor: Tensor, _ indices: [Int]) -> Tensor {
        let width = tensor.shape[1]
        var scalars = [Float]()
        scalars.reserveCapacity(indices.count * width)
        tensor.withUnsafeBufferPointer { source in
            for index in indices {
                scalars.append(contentsOf: source[(index * width)..<((index + 1) * width)])
            }
        }
        return Tensor(shape: [indices.count, width], scalars: scalars)
    }

    /// The rows `range` of the matrix `tensor` `[N, D]`: `[range.count, D]`.
    static func rows(_ tensor: Tensor, _ range: Range<Int>) -> Tensor {
        let width = tensor.shape[1]
        return Tensor(shape: [range.count, width],
                      scalars: Array(tensor.scalars[(range.lowerBound * width)..<(range.upperBound * width)]))
    }

    /// Runs `body(i)` for every `i` in `0..<count`, over `ComputeThreads.count` threads; each index is
    /// handled independently, so the result does not depend on the thread count.
    static func concurrentRows(_ count: Int, _ body: (Int) -> Void) {
        let workers = Swift.min(count, ComputeThreads.count)
        guard workers > 1, count >= 64 else {
            for i in 0..<count { body(i) }
            return
        }
        ComputeThreads.forEach(workers) { worker in
            var i = worker
            while i < count {
                body(i)
                i += workers
            }
        }
    }
}

extension FeatureMatrix {
    /// Throws unless `probabilities` is `[N, C]`, `N >= 1`, `C >= 1`, every row non-negative, finite and
    /// summing to 1 within `1e-3` (softmax outputs in Float are off by far less).
    static func validateProbabilities(_ probabilities: Tensor) throws {
        try validate(probabilities, "probabilities")
        let (n, c) = (probabilities.shape[0], probabilities.shape[1])
        try probabilities.withUnsafeBufferPointer { p in
            for i in 0..<n {
                var sum = 0.0
                for k in 0..<c {
                    let value = p[i * c + k]
                    if value < 0 {
                        throw EvaluationError.notProbabilities(row: i, detail: "negative value \(value) in column \(k)")
                    }
                    sum += Double(value)
                }
                if Swift.abs(sum - 1) > 1e-3 {
                    throw EvaluationError.notProbabilities(
                        row: i, detail: "it sums to \(sum), not 1 (pass softmax outputs, not logits)")
                }
            }
        }
    }

    /// The column of each row's largest value, the first one on ties: `[N, C] -> [N]`.
    static func argmax(_ matrix: Tensor) -> [Int] {
        let (n, c) = (matrix.shape[0], matrix.shape[1])
        return matrix.withUnsafeBufferPointer { p in
            (0..<n).map { i in
                var best = 0
                for k in 1..<Swift.max(1, c) where p[i * c + k] > p[i * c + best] { best = k }
                return best
            }
        }
    }
}
