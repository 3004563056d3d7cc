import StudioCore

/// Why a metric could not be computed from its inputs, naming the argument and what was expected.
public enum EvaluationError: Error, Equatable, CustomStringConvertible {
    /// `argument` has `shape`, but `expected` (in words, e.g. "[N, D]") was needed.
    case badShape(argument: String, shape: Shape, expected: String)
    /// `argument` has `count` rows; the metric needs at least `minimum` (`reason` says why).
    case tooFewRows(argument: String, count: Int, minimum: Int, reason: String)
    /// `argument` holds NaN or infinity at `row`, `column`.
    case nonFinite(argument: String, row: Int, column: Int)
    /// Row `row` of the probabilities is not a distribution (`detail` says how).
    case notProbabilities(row: Int, detail: String)
    /// Label `label` at `index` is outside `0..<classCount`.
    case labelOutOfRange(index: Int, label: Int, classCount: Int)
    /// A numeric parameter `name` has `value`, but `expected` was needed.
    case badParameter(name: String, value: Int, expected: String)
    /// The eigendecomposition behind the Fréchet distance failed.
    case linearAlgebra(SymmetricEigenError)

    public var description: String {
        switch self {
        case let .badShape(argument, shape, expected):
            return "\(argument): shape \(shape), expected \(expected)"
        case let .tooFewRows(argument, count, minimum, reason):
            return "\(argument): \(count) rows, at least \(minimum) needed (\(reason))"
        case let .nonFinite(argument, row, column):
            return "\(argument): non-finite value at row \(row), column \(column)"
        case let .notProbabilities(row, detail):
            return "probabilities: row \(row) is not a distribution: \(detail)"
        case let .labelOutOfRange(index, label, classCount):
            return "labels: label \(label) at index \(index) is outside 0..<\(classCount)"
        case let .badParameter(name, value, expected):
            return "\(name) = \(value), expected \(expected)"
        case let .linearAlgebra(error):
            return "Fréchet distance: \(error)"
        }
    }
}
