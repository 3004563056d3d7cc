import Foundation
import StudioCore

// MARK: - Class folders of PNG images

extension ImageDataset {
    /// Reads `directory/<class>/*.png`, the class-folder layout image tools use: every subfolder named
    /// by a non-negative integer holds that class's images, taken in name order, classes ascending.
    /// Other entries (a manifest, a `blocks/` folder) are ignored. Every image must have the first
    /// one's size; `channels` is 1 (grayscale) or 3 (RGB), converting as needed.
    public static func classFolders(directory: URL, channels: Int = 1) throws -> ImageDataset {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FileFormatError(path: directory.path, "image directory does not exist")
        }
        let classes = try fm.contentsOfDirectory(atPath: directory.path).compactMap { name -> (Int, URL)? in
            guard let label = Int(name), label >= 0, String(label) == name else { return nil }
            let url = directory.appendingPathComponent(name)
            var isFolder: ObjCBool = false
            return fm.fileExists(atPath: url.path, isDirectory: &isFolder) && isFolder.boolValue ? (label, url) : nil
        }.sorted { $0.0 < $1.0 }
        var pixels: [UInt8] = []
        var labels: [Int] = []
        var size: (height: Int, width: Int)?
        for (label, folder) in classes {
            let names = try fm.contentsOfDirectory(atPath: folder.path).filter { $0.lowercased().hasSuffix(".png") }.sorted()
            for name in names {
                let url = folder.appendingPathComponent(name)
                let image = try PNGImage.read(from: url, channels: channels)
                if let size, size != (image.height, image.width) {
                    throw FileFormatError(path: url.path, "is \(image.width)x\(image.height); the first image is \(size.width)x\(size.height)")
                }
                size = (image.height, image.width)
                // Interleaved HWC bytes to planar CHW.
                let plane = image.width * image.height
                var planar = [UInt8](repeating: 0, count: image.pixels.count)
                for (i, byte) in image.pixels.enumerated() { planar[(i % channels) * plane + i / channels] = byte }
                pixels += planar
                labels.append(label)
            }
        }
        guard let size else {
            throw FileFormatError(path: directory.path, "holds no class folders of PNG images (expected <class>/<name>.png, class a number such as 0 or 7)")
        }
        return ImageDataset(shape: [labels.count, channels, size.height, size.width], pixels: pixels, labels: labels)
    }
}
