import StudioCore
import StudioIO

/// Some examples of a labelled set, by index, as a set of their own: example i is the base set's
/// example `indices[i]`. A view, so that K images per class of 60000 cost no copy of the pixels.
public struct SubsetExamples: LabelledExamples {
    /// The full set.
    public let base: any LabelledExamples
    /// Indices into `base`, in this set's order.
    public let indices: [Int]
    /// The base set's labels at `indices`, or empty when it has none.
    public let labels: [Int]

    /// The examples of `base` at `indices` (each in `0..<base.count`).
    public init(_ base: any LabelledExamples, indices: [Int]) {
        precondition(indices.allSatisfy { $0 >= 0 && $0 < base.count }, "SubsetExamples: an index outside 0..<\(base.count)")
        self.base = base
        self.indices = indices
        labels = base.labels.isEmpty ? [] : indices.map { base.labels[$0] }
    }

    public var count: Int { indices.count }
    /// The base set's example shape.
    public var exampleShape: Shape { base.exampleShape }

    /// `[rows.count] + exampleShape`: the base set's batch of the examples these rows stand for.
    public func batch(_ rows: [Int], range: ClosedRange<Float>) -> Tensor {
        base.batch(rows.map { indices[$0] }, range: range)
    }
}
