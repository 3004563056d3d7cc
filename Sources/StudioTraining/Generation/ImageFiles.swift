import Foundation
import StudioCore
import StudioIO

/// Images a user points at for encoding: an IDX image file, a folder of PNGs, or an MNIST-format
/// directory (its test split, with labels).
public enum ImageFiles {
    /// `[N, C, H, W]` pixels in 0...1 and the labels when the source has them (else empty).
    public static func read(_ url: URL, channels: Int) throws -> (images: Tensor, labels: [Int]) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw FileFormatError(path: url.path, "no such IDX file or image directory")
        }
        if !isDirectory.boolValue {
            let file = try IDXFile.read(from: url)
            guard file.elementType == .uint8, file.shape.rank == 3 || file.shape.rank == 4 else {
                throw FileFormatError(path: url.path, "expected uint8 images [N, H, W] or [N, C, H, W], found \(file.elementType) \(file.shape)")
            }
            let dims = file.shape.dimensions
            let shape = Shape(dims.count == 3 ? [dims[0], 1, dims[1], dims[2]] : dims)
            return (Tensor(shape: shape, scalars: file.values.map { $0 / 255 }), [])
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: url.path)
            .filter { $0.lowercased().hasSuffix(".png") }.sorted()
        if names.isEmpty {
            let set = try ImageDataset.mnistFormat(directory: url, split: .test)
            return (set.batch(Array(0..<set.count), range: 0...1), set.labels)
        }
        var values: [Float] = []
        var size: (Int, Int)?
        for name in names {
            let image = try PNGImage.read(from: url.appendingPathComponent(name), channels: channels)
            if let size, size != (image.height, image.width) {
                throw FileFormatError(path: url.appendingPathComponent(name).path,
                                      "is \(image.width)x\(image.height); the folder's first image is \(size.1)x\(size.0)")
            }
            size = (image.height, image.width)
            // Interleaved HWC bytes to planar CHW.
            var planar = [Float](repeating: 0, count: image.pixels.count)
            let plane = image.width * image.height
            for (i, byte) in image.pixels.enumerated() { planar[(i % channels) * plane + i / channels] = Float(byte) / 255 }
            values += planar
        }
        return (Tensor(shape: [names.count, channels, size!.0, size!.1], scalars: values), [])
    }
}
