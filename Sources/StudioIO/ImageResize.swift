import Foundation

/// Antialiased image resizing, as Pillow's `Image.resize` (and torchvision's `Resize` with
/// `antialias=True`) does it: a separable convolution whose filter is widened by the scale factor
/// when shrinking, so every source pixel contributes (area-like averaging), and plain
/// interpolation when growing.
public enum ImageResize {
    /// The interpolation kernel.
    public enum Filter: String, Sendable, CaseIterable {
        /// Pillow's BOX: the mean of the covered pixels when shrinking, nearest pixel when growing.
        case box
        /// Pillow's BILINEAR: a triangle kernel, linear interpolation when growing.
        case bilinear

        var support: Double { self == .box ? 0.5 : 1 }

        func weight(_ x: Double) -> Double {
            switch self {
            case .box: return x > -0.5 && x <= 0.5 ? 1 : 0
            case .bilinear: return Swift.max(0, 1 - abs(x))
            }
        }
    }

    /// `image`'s interleaved `[height, width, channels]` bytes resized to `[newHeight, newWidth, channels]`,
    /// the width first, then the height, each output value rounded and clamped to 0...255.
    public static func resized(_ image: PNGImage, width newWidth: Int, height newHeight: Int,
                               filter: Filter = .bilinear) -> PNGImage {
        precondition(newWidth > 0 && newHeight > 0, "ImageResize: target \(newWidth)x\(newHeight) must be positive")
        if image.width == newWidth && image.height == newHeight { return image }
        let c = image.channels
        var values = image.pixels.map(Double.init)
        var (w, h) = (image.width, image.height)
        if newWidth != w {
            let taps = coefficients(from: w, to: newWidth, filter: filter)
            var out = [Double](repeating: 0, count: h * newWidth * c)
            for y in 0..<h {
                for (x, tap) in taps.enumerated() {
                    for k in 0..<c {
                        var sum = 0.0
                        for (i, weight) in tap.weights.enumerated() { sum += weight * values[(y * w + tap.first + i) * c + k] }
                        out[(y * newWidth + x) * c + k] = sum
                    }
                }
            }
            values = out
            w = newWidth
        }
        if newHeight != h {
            let taps = coefficients(from: h, to: newHeight, filter: filter)
            var out = [Double](repeating: 0, count: newHeight * w * c)
            for (y, tap) in taps.enumerated() {
                for (i, weight) in tap.weights.enumerated() {
                    let row = (tap.first + i) * w * c
                    for j in 0..<(w * c) { out[y * w * c + j] += weight * values[row + j] }
                }
            }
            values = out
            h = newHeight
        }
        let bytes = values.map { UInt8(Swift.min(255, Swift.max(0, $0.rounded()))) }
        return PNGImage(width: w, height: h, channels: c, pixels: bytes)
    }

    /// For each output position, the first input position it reads and the normalised weights of
    /// the inputs from there on (Pillow's `precompute_coeffs`).
    static func coefficients(from inputSize: Int, to outputSize: Int, filter: Filter) -> [(first: Int, weights: [Double])] {
        let scale = Double(inputSize) / Double(outputSize)
        let filterScale = Swift.max(scale, 1)
        let support = filter.support * filterScale
        return (0..<outputSize).map { x in
            let center = (Double(x) + 0.5) * scale
            let low = Swift.max(Int(center - support + 0.5), 0)
            let high = Swift.min(Int(center + support + 0.5), inputSize)
            var weights = (low..<high).map { filter.weight((Double($0) - center + 0.5) / filterScale) }
            let total = weights.reduce(0, +)
            if total > 0 { weights = weights.map { $0 / total } }
            return (low, weights)
        }
    }
}
