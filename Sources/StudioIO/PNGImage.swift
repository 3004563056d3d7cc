import CPNG
import Foundation
import StudioCore

/// An 8-bit grayscale or RGB image, read and written through libpng's simplified API
/// (which reports errors through the image struct instead of longjmp).
public struct PNGImage: Equatable {
    /// 1 for grayscale, 3 for RGB.
    public var channels: Int
    public var width: Int
    public var height: Int
    /// Interleaved pixels, row-major: `height * width * channels` bytes.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(channels == 1 || channels == 3, "PNGImage: \(channels) channels; expected 1 or 3")
        precondition(pixels.count == width * height * channels,
                     "PNGImage: \(pixels.count) bytes for \(width)x\(height)x\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    private var format: png_uint_32 { channels == 3 ? png_uint_32(PNG_FORMAT_FLAG_COLOR) : 0 }

    /// The encoded PNG bytes.
    public func encoded() throws -> Data {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = format
        var size: png_alloc_size_t = 0
        let stride = png_int_32(width * channels)
        return try pixels.withUnsafeBytes { src -> Data in
            guard png_image_write_to_memory(&image, nil, &size, 0, src.baseAddress, stride, nil) != 0 else {
                throw FileFormatError(path: "<png>", "libpng could not encode: \(PNGImage.message(of: &image))")
            }
            var out = Data(count: Int(size))
            let ok = out.withUnsafeMutableBytes { dst in
                png_image_write_to_memory(&image, dst.baseAddress, &size, 0, src.baseAddress, stride, nil)
            }
            guard ok != 0 else {
                throw FileFormatError(path: "<png>", "libpng could not encode: \(PNGImage.message(of: &image))")
            }
            out.count = Int(size)
            return out
        }
    }

    /// Writes the image atomically to `url`.
    public func write(to url: URL) throws {
        do {
            try AtomicFile.write(try encoded(), to: url)
        } catch var error as FileFormatError where error.path == "<png>" {
            error.path = url.path
            throw error
        }
    }

    /// The most pixels a read image may have: a header can declare far more than its file holds, and
    /// the pixels are allocated before the data is decoded.
    public static let maximumPixels = 8192 * 8192

    /// Reads a PNG of any colour type, converted to grayscale (`channels` 1) or RGB (3). Transparency
    /// is composited on black, or with `droppingAlpha` ignored (the stored colours kept, as Pillow's
    /// `convert("RGB")` and so torchvision's ImageFolder do).
    public static func read(from url: URL, channels: Int = 1, droppingAlpha: Bool = false) throws -> PNGImage {
        precondition(channels == 1 || channels == 3, "PNGImage.read: \(channels) channels; expected 1 or 3")
        if let problem = PNGChunks.problem(at: url) { throw FileFormatError(path: url.path, problem) }
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, url.path) != 0 else {
            throw FileFormatError(path: url.path, "not a readable PNG: \(message(of: &image))")
        }
        // 8-bit output with alpha is not premultiplied, so reading the alpha and skipping it keeps the colours.
        let alpha = droppingAlpha && image.format & png_uint_32(PNG_FORMAT_FLAG_ALPHA) != 0 ? 1 : 0
        image.format = (channels == 3 ? png_uint_32(PNG_FORMAT_FLAG_COLOR) : 0) | (alpha == 1 ? png_uint_32(PNG_FORMAT_FLAG_ALPHA) : 0)
        let width = Int(image.width), height = Int(image.height)
        guard width * height <= maximumPixels else {
            png_image_free(&image)
            throw FileFormatError(path: url.path, "declares \(width) x \(height) pixels; genstudio reads images of at most \(maximumPixels) pixels (8192 x 8192)")
        }
        let stored = channels + alpha
        var pixels = [UInt8](repeating: 0, count: width * height * stored)
        let ok = pixels.withUnsafeMutableBytes { dst in
            png_image_finish_read(&image, nil, dst.baseAddress, png_int_32(width * stored), nil)
        }
        guard ok != 0 else {
            throw FileFormatError(path: url.path, "corrupt PNG data: \(message(of: &image))")
        }
        if alpha == 1 {
            pixels = (0..<(width * height * channels)).map { pixels[($0 / channels) * stored + $0 % channels] }
        }
        return PNGImage(width: width, height: height, channels: channels, pixels: pixels)
    }

    private static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
