import Foundation
import StudioCore
import StudioIO

/// Writes generated images `[N, C, H, W]` in -1...1 in the format the output path asks for.
public enum SampleWriter {
    /// `.png`: one grid (`columns` wide); `.idx`: an IDX uint8 image file; `.safetensors`: the raw
    /// floats as tensor `samples`, in -1...1 for every family (a VAE's 0...1 is mapped there too), the
    /// header's metadata saying so (`valueRangeKey`); anything else: a directory with one PNG per image.
    /// Returns the paths written.
    @discardableResult
    public static func write(_ images: Tensor, to url: URL, columns: Int? = nil) throws -> [URL] {
        let parent = url.deletingLastPathComponent()
        switch url.pathExtension.lowercased() {
        case "png":
            try ensureDirectory(parent)
            try ImageGrid.make(images, columns: columns).write(to: url)
            return [url]
        case "idx", "gz":
            try ensureDirectory(parent)
            let bytes = images.scalars.map { (($0 + 1) * 127.5).rounded() }
            let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
            let shape: Shape = c == 1 ? [n, h, w] : [n, c, h, w]
            try IDXFile(elementType: .uint8, shape: shape, values: bytes).write(to: url)
            return [url]
        case "safetensors":
            try ensureDirectory(parent)
            try SafeTensors(entries: [.init(name: "samples", tensor: images)], metadata: valueRangeMetadata).write(to: url)
            return [url]
        default:
            try ensureDirectory(url)
            let digits = Swift.max(4, String(images.shape[0] - 1).count)
            var written: [URL] = []
            for i in 0..<images.shape[0] {
                let file = url.appendingPathComponent(String(format: "%0\(digits)d.png", i))
                try ImageGrid.image(images.sliced(alongAxis: 0, i..<(i + 1)).squeezingDimension(at: 0)).write(to: file)
                written.append(file)
            }
            return written
        }
    }

    /// The metadata key of a `.safetensors` sample file that states the range of its values.
    public static let valueRangeKey = "value_range"

    /// What a `.safetensors` sample file's header says about its values: -1...1, pixel = (value + 1) / 2.
    public static let valueRangeMetadata = [valueRangeKey: "[-1, 1]", "value_to_pixel": "(value + 1) / 2"]

    /// Creates `url` and its parents, or throws a `FileFormatError` naming it.
    public static func ensureDirectory(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw FileFormatError(path: url.path, "cannot create the output directory: \(error.localizedDescription)")
        }
    }
}
