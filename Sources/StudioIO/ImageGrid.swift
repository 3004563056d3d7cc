import StudioCore

/// Tiles a batch of images into one picture, as sample grids are shown.
public enum ImageGrid {
    /// Lays out `[N, C, H, W]` images (C = 1 or 3, values in `range`) in `columns` columns
    /// (default: the smallest square that fits) with `padding` background pixels around every tile.
    public static func make(_ images: Tensor, columns: Int? = nil, padding: Int = 2,
                            range: ClosedRange<Float> = -1...1, background: UInt8 = 0) -> PNGImage {
        precondition(images.rank == 4 && (images.shape[1] == 1 || images.shape[1] == 3),
                     "ImageGrid.make: expected [N, 1 or 3, H, W], got \(images.shape)")
        let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        let cols = Swift.max(1, columns ?? Int(Double(n).squareRoot().rounded(.up)))
        let rows = Swift.max(1, (n + cols - 1) / cols)
        let width = cols * (w + padding) + padding
        let height = rows * (h + padding) + padding
        var pixels = [UInt8](repeating: background, count: width * height * c)
        let scale = 255 / (range.upperBound - range.lowerBound)
        images.withUnsafeBufferPointer { src in
            for i in 0..<n {
                let top = padding + (i / cols) * (h + padding)
                let left = padding + (i % cols) * (w + padding)
                for y in 0..<h {
                    for x in 0..<w {
                        for ch in 0..<c {
                            let v = src[((i * c + ch) * h + y) * w + x]
                            let byte = ((v - range.lowerBound) * scale).rounded()
                            pixels[((top + y) * width + left + x) * c + ch] = UInt8(Swift.max(0, Swift.min(255, byte.isNaN ? 0 : byte)))
                        }
                    }
                }
            }
        }
        return PNGImage(width: width, height: height, channels: c, pixels: pixels)
    }

    /// One `[C, H, W]` image (values in `range`) as a PNG image.
    public static func image(_ tensor: Tensor, range: ClosedRange<Float> = -1...1) -> PNGImage {
        precondition(tensor.rank == 3, "ImageGrid.image: expected [C, H, W], got \(tensor.shape)")
        return make(tensor.expandingDimension(at: 0), columns: 1, padding: 0, range: range)
    }
}
