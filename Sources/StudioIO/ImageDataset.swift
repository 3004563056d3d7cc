import Foundation
import StudioCore

/// Labelled images held as bytes: `[N, C, H, W]` pixels in 0...255 and one label per image.
public struct ImageDataset: Sendable {
    /// `[N, C, H, W]`.
    public let shape: Shape
    /// Pixels, row-major over `shape`.
    public let pixels: [UInt8]
    /// One class label per image, or empty when the set has none.
    public let labels: [Int]

    /// A data set of `shape` `[N, C, H, W]`; `labels` is empty or has N entries.
    public init(shape: Shape, pixels: [UInt8], labels: [Int]) {
        precondition(shape.rank == 4 && shape.elementCount == pixels.count, "ImageDataset: \(pixels.count) pixels for \(shape)")
        precondition(labels.isEmpty || labels.count == shape[0], "ImageDataset: \(labels.count) labels for \(shape[0]) images")
        self.shape = shape
        self.pixels = pixels
        self.labels = labels
    }

    /// The number of images.
    public var count: Int { shape[0] }
    /// `[C, H, W]` of one image.
    public var imageShape: Shape { Shape(Array(shape.dimensions.dropFirst())) }

    /// The images at `indices` as `[indices.count, C, H, W]`, pixel 0 mapped to `range.lowerBound`
    /// and 255 to `range.upperBound`.
    public func batch(_ indices: [Int], range: ClosedRange<Float> = -1...1) -> Tensor {
        gatherRows(pixels, indices: indices, scale: (range.upperBound - range.lowerBound) / 255, offset: range.lowerBound)
    }
}

// MARK: - MNIST-format directories

extension ImageDataset {
    /// Which half of an MNIST-format directory to read.
    public enum Split: String, Sendable {
        case train, test

        var prefix: String { self == .train ? "train" : "t10k" }
    }

    /// Reads `<prefix>-images-idx3-ubyte[.gz]` and `<prefix>-labels-idx1-ubyte[.gz]` from `directory`.
    public static func mnistFormat(directory: URL, split: Split) throws -> ImageDataset {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FileFormatError(path: directory.path, "data directory does not exist")
        }
        func find(_ stem: String) throws -> URL {
            for name in [stem + ".gz", stem] {
                let url = directory.appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: url.path) { return url }
            }
            throw FileFormatError(path: directory.path, "has no \(stem) or \(stem).gz")
        }
        let imageURL = try find("\(split.prefix)-images-idx3-ubyte")
        let labelURL = try find("\(split.prefix)-labels-idx1-ubyte")
        let images = try IDXFile.read(from: imageURL)
        guard images.elementType == .uint8, images.shape.rank == 3 || images.shape.rank == 4 else {
            throw FileFormatError(path: imageURL.path, "expected uint8 images [N, H, W] or [N, C, H, W], found \(images.elementType) \(images.shape)")
        }
        let labels = try IDXFile.read(from: labelURL)
        guard labels.elementType == .uint8, labels.shape.rank == 1 else {
            throw FileFormatError(path: labelURL.path, "expected uint8 labels [N], found \(labels.elementType) \(labels.shape)")
        }
        guard labels.shape[0] == images.shape[0] else {
            throw FileFormatError(path: labelURL.path, "has \(labels.shape[0]) labels for \(images.shape[0]) images in \(imageURL.lastPathComponent)")
        }
        let dims = images.shape.dimensions
        let shape = Shape(dims.count == 3 ? [dims[0], 1, dims[1], dims[2]] : dims)
        return ImageDataset(shape: shape, pixels: images.values.map { UInt8($0) }, labels: labels.values.map { Int($0) })
    }
}
