import StudioCore

/// Labelled examples a training loop draws batches from: images, audio clips or their spectrograms.
public protocol LabelledExamples: Sendable {
    /// The number of examples.
    var count: Int { get }
    /// One example's shape: `[C, H, W]` for images and spectrograms, `[1, L]` for clips.
    var exampleShape: Shape { get }
    /// One class label per example, or empty when the set has none.
    var labels: [Int] { get }
    /// The examples at `indices` as `[indices.count] + exampleShape`, the set's value range mapped
    /// linearly onto `range`.
    func batch(_ indices: [Int], range: ClosedRange<Float>) -> Tensor
}

extension ImageDataset: LabelledExamples {
    /// `[C, H, W]`.
    public var exampleShape: Shape { imageShape }
}

/// Labelled examples held as Float32 values in -1...1: audio clips `[N, 1, L]` or their
/// log-magnitude spectrograms `[N, 1, F, T]`.
public struct SignalDataset: LabelledExamples {
    /// `[N] + exampleShape`.
    public let shape: Shape
    /// Values in -1...1, row-major over `shape`.
    public let values: [Float]
    /// One class label per example, or empty.
    public let labels: [Int]

    /// A set of `shape` `[N, ...]`; `labels` is empty or has N entries.
    public init(shape: Shape, values: [Float], labels: [Int]) {
        precondition(shape.rank >= 2 && shape.elementCount == values.count, "SignalDataset: \(values.count) values for \(shape)")
        precondition(labels.isEmpty || labels.count == shape[0], "SignalDataset: \(labels.count) labels for \(shape[0]) examples")
        self.shape = shape
        self.values = values
        self.labels = labels
    }

    public var count: Int { shape[0] }
    public var exampleShape: Shape { Shape(Array(shape.dimensions.dropFirst())) }

    /// The examples at `indices`, -1 mapped to `range.lowerBound` and +1 to `range.upperBound`.
    public func batch(_ indices: [Int], range: ClosedRange<Float> = -1...1) -> Tensor {
        let size = exampleShape.elementCount
        let scale = (range.upperBound - range.lowerBound) / 2
        let low = range.lowerBound
        var out = [Float](repeating: 0, count: indices.count * size)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (row, index) in indices.enumerated() {
                    precondition(index >= 0 && index < count, "SignalDataset.batch: index \(index) outside 0..<\(count)")
                    let s = index * size, d = row * size
                    for j in 0..<size { dst[d + j] = (src[s + j] + 1) * scale + low }
                }
            }
        }
        return Tensor(shape: Shape([indices.count] + exampleShape.dimensions), scalars: out)
    }
}
