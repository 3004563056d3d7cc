import CTurboJPEG
import Foundation

/// JPEG decoding through libjpeg-turbo's TurboJPEG API (baseline and progressive, YCbCr, RGB and
/// grayscale), into the same 8-bit image struct PNG reading gives.
public enum JPEGImage {
    /// The extensions taken to be JPEG files, lowercased.
    public static let extensions: Set<String> = ["jpg", "jpeg", "jpe", "jfif"]

    /// Decodes the JPEG file at `url` as grayscale (`channels` 1) or RGB (3). The declared size is
    /// checked against `PNGImage.maximumPixels` before any pixel is allocated; CMYK files, whose
    /// colours depend on an ink profile genstudio does not have, are refused by name.
    public static func read(from url: URL, channels: Int = 1) throws -> PNGImage {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FileFormatError(path: url.path, "cannot be read: \(error.localizedDescription)")
        }
        return try decode(data, channels: channels, path: url.path)
    }

    /// Decodes JPEG bytes; `path` names the source in errors.
    public static func decode(_ data: Data, channels: Int = 1, path: String = "<jpeg>") throws -> PNGImage {
        precondition(channels == 1 || channels == 3, "JPEGImage.decode: \(channels) channels; expected 1 or 3")
        guard let handle = tjInitDecompress() else {
            throw FileFormatError(path: path, "libjpeg-turbo could not start a decoder")
        }
        defer { tjDestroy(handle) }
        return try data.withUnsafeBytes { raw -> PNGImage in
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress, raw.count > 0 else {
                throw FileFormatError(path: path, "not a readable JPEG: the file is empty")
            }
            var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
            guard tjDecompressHeader3(handle, base, UInt(raw.count), &width, &height, &subsampling, &colorspace) == 0 else {
                throw FileFormatError(path: path, "not a readable JPEG: \(message(handle))")
            }
            let (w, h) = (Int(width), Int(height))
            guard w > 0, h > 0, w * h <= PNGImage.maximumPixels else {
                throw FileFormatError(path: path, "declares \(w) x \(h) pixels; genstudio reads images of at most \(PNGImage.maximumPixels) pixels (8192 x 8192)")
            }
            if colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue) {
                throw FileFormatError(path: path, "is a CMYK JPEG; convert it to RGB first (for example: convert IN -colorspace sRGB OUT.jpg)")
            }
            let format = channels == 3 ? TJPF_RGB : TJPF_GRAY
            var pixels = [UInt8](repeating: 0, count: w * h * channels)
            let status = pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, base, UInt(raw.count), dst.baseAddress, width, Int32(w * channels), height,
                              Int32(format.rawValue), TJFLAG_ACCURATEDCT)
            }
            if status != 0 {
                // Warnings Pillow also lets pass (extraneous bytes, say) keep the image; a truncated file,
                // whose missing rows would be grey, and every fatal error do not.
                let text = message(handle)
                let fatal = tjGetErrorCode(handle) != Int32(TJERR_WARNING.rawValue)
                if fatal || text.lowercased().contains("premature end") {
                    throw FileFormatError(path: path, "corrupt JPEG data: \(text)")
                }
            }
            return PNGImage(width: w, height: h, channels: channels, pixels: pixels)
        }
    }

    private static func message(_ handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown error" }
        return String(cString: text)
    }
}
