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
        let scale = (range.upperBound - range.lowerBound) / 2
        return gatherRows(values, indices: indices, scale: scale, offset: range.lowerBound + scale)
    }
}

extension LabelledExamples {
    /// Rows `indices` of `storage` (one example of `exampleShape` each) as `[indices.count] + exampleShape`,
    /// every value `v` becoming `v * scale + offset`.
    @inline(__always)
    func gatherRows<Value: StoredValue>(_ storage: [Value], indices: [Int], scale: Float, offset: Float) -> Tensor {
        let size = exampleShape.elementCount
        var out = [Float](repeating: 0, count: indices.count * size)
        storage.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (row, index) in indices.enumerated() {
                    precondition(index >= 0 && index < count, "\(Self.self).batch: index \(index) outside 0..<\(count)")
                    let s = index * size, d = row * size
                    for j in 0..<size { dst[d + j] = src[s + j].floatValue * scale + offset }
                }
            }
        }
        return Tensor(shape: Shape([indices.count] + exampleShape.dimensions), scalars: out)
    }
}

/// How a data set stores its values: pixels as bytes, signals as floats.
protocol StoredValue {
    /// The value as a Float.
    var floatValue: Float { get }
}

extension UInt8: StoredValue {
    var floatValue: Float { Float(self) }
}

extension Float: StoredValue {
    var floatValue: Float { self }
}
