import Foundation
import StudioCore

/// Classical augmentation of image batches: random translation, rotation, scaling and elastic
/// distortion (Simard et al. 2003), as `AugmentSettings` lists them, combined into one warp per image
/// and applied in one bilinear resampling, so an image is blurred once however many transforms are on.
/// Pixels that come from outside the image are 0 (the black background of digits). Data
/// preprocessing, not part of the model: no gradients flow through it.
public struct ClassicalAugmentation: Sendable {
    /// One image's change: output pixel p reads the input at `A⁻¹(p + d(p) - t - c) + c`, where A
    /// rotates by `rotation` and scales by `scale` about the centre c, t is the shift and d the
    /// elastic displacement at p. Coordinates are (column, row) in pixels, rows growing downwards.
    public struct Warp: Equatable, Sendable {
        /// Shift in pixels; positive moves the content right.
        public var shiftX = 0.0
        /// Shift in pixels; positive moves the content down.
        public var shiftY = 0.0
        /// Degrees, counterclockwise as the image is displayed (as torchvision's `rotate`).
        public var rotation = 0.0
        /// Zoom factor; above 1 enlarges the content.
        public var scale = 1.0
        /// Per output pixel, where it reads from relative to the affine map: `H * W` column
        /// displacements then `H * W` row displacements, in pixels; empty for none.
        public var displacement: [Float] = []

        /// The warp with these parts; every default leaves the image as it is.
        public init(shiftX: Double = 0, shiftY: Double = 0, rotation: Double = 0, scale: Double = 1, displacement: [Float] = []) {
            self.shiftX = shiftX
            self.shiftY = shiftY
            self.rotation = rotation
            self.scale = scale
            self.displacement = displacement
        }
    }

    /// The transforms and their ranges.
    public let settings: AugmentSettings

    /// Augmentation as `settings` describes it (its problems already refused by the recipe loader).
    public init(settings: AugmentSettings) {
        self.settings = settings
    }

    /// `[N, C, H, W]` in 0...1 -> `[N, C, H, W]` in 0...1: each image warped by its own draw from
    /// `generator`, image by image in order, so the result depends only on the generator's state.
    /// With a `share` of a data-parallel batch, the warps are drawn for the global batch and the
    /// rank's rows kept, as one process would warp those images.
    public func callAsFunction(_ batch: Tensor, share: BatchShare = .whole, using generator: inout RandomGenerator) -> Tensor {
        precondition(batch.shape.rank == 4, "ClassicalAugmentation: expected images [N, C, H, W], got \(batch.shape)")
        let (height, width) = (batch.shape[2], batch.shape[3])
        let warps = (0..<(batch.shape[0] * share.ranks)).map { _ in drawWarp(height: height, width: width, using: &generator) }
        return Self.apply(share.part(of: warps), to: batch)
    }

    /// One random warp for an image of `height` x `width`. Each listed transform draws its numbers
    /// in a fixed order (shift x, shift y; angle; zoom; field x, field y); unlisted ones draw none.
    public func drawWarp(height: Int, width: Int, using generator: inout RandomGenerator) -> Warp {
        func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * Double(generator.nextUniform()) }
        var warp = Warp()
        let on = Set(settings.transforms)
        if on.contains(.translate) {
            warp.shiftX = uniform(-settings.translate, settings.translate)
            warp.shiftY = uniform(-settings.translate, settings.translate)
        }
        if on.contains(.rotate) { warp.rotation = uniform(-settings.rotate, settings.rotate) }
        if on.contains(.scale) { warp.scale = uniform(settings.scale[0], settings.scale[1]) }
        if on.contains(.elastic) {
            warp.displacement = Self.elasticField(height: height, width: width, alpha: settings.elasticAlpha,
                                                  sigma: settings.elasticSigma, using: &generator)
        }
        return warp
    }

    /// `[N, C, H, W]` -> `[N, C, H, W]`: image n resampled bilinearly through `warps[n]`, every
    /// channel alike; a sample point on the pixel grid copies that pixel exactly.
    public static func apply(_ warps: [Warp], to batch: Tensor) -> Tensor {
        precondition(batch.shape.rank == 4 && warps.count == batch.shape[0],
                     "ClassicalAugmentation.apply: \(warps.count) warps for images \(batch.shape)")
        let (channels, height, width) = (batch.shape[1], batch.shape[2], batch.shape[3])
        let plane = height * width
        let input = batch.scalars
        var output = [Float](repeating: 0, count: input.count)
        var sources = [(x: Double, y: Double)](repeating: (0, 0), count: plane)
        for (n, warp) in warps.enumerated() {
            precondition(warp.displacement.isEmpty || warp.displacement.count == 2 * plane,
                         "ClassicalAugmentation.apply: a displacement field of \(warp.displacement.count) values for \(height)x\(width)")
            warp.fillSources(&sources, height: height, width: width)
            for channel in 0..<channels {
                let offset = (n * channels + channel) * plane
                input.withUnsafeBufferPointer { all in
                    let image = UnsafeBufferPointer(rebasing: all[offset..<(offset + plane)])
                    for p in 0..<plane {
                        output[offset + p] = sample(image, height: height, width: width, x: sources[p].x, y: sources[p].y)
                    }
                }
            }
        }
        return Tensor(shape: batch.shape, scalars: output)
    }

    /// The image's value at (x, y) interpolated from its four neighbours, 0 outside. Weights of
    /// exactly 0 and 1 leave a pixel untouched, so integer shifts and the identity are exact.
    @inline(__always)
    static func sample(_ image: UnsafeBufferPointer<Float>, height: Int, width: Int, x: Double, y: Double) -> Float {
        guard x > -1, y > -1, x < Double(width), y < Double(height) else { return 0 }
        let x0 = x.rounded(.down), y0 = y.rounded(.down)
        let fx = x - x0, fy = y - y0
        let column = Int(x0), row = Int(y0)
        func pixel(_ r: Int, _ c: Int) -> Double {
            r >= 0 && r < height && c >= 0 && c < width ? Double(image[r * width + c]) : 0
        }
        let top = (1 - fx) * pixel(row, column) + fx * pixel(row, column + 1)
        let bottom = (1 - fx) * pixel(row + 1, column) + fx * pixel(row + 1, column + 1)
        return Float((1 - fy) * top + fy * bottom)
    }

    /// Simard et al.'s displacement field: uniform -1...1 per pixel and axis, smoothed by a Gaussian
    /// of `sigma` pixels (zero beyond the border, truncated at 4 sigma as scipy's `gaussian_filter`),
    /// times `alpha`. Smoothing shrinks the noise a lot: alpha 34, sigma 4 moves pixels about 1.4 px
    /// along each axis (root mean square), in a smooth, locally coherent way. `2 * H * W` values, x then y.
    static func elasticField(height: Int, width: Int, alpha: Double, sigma: Double,
                             using generator: inout RandomGenerator) -> [Float] {
        let plane = height * width
        let noise = (0..<(2 * plane)).map { _ in 2 * Double(generator.nextUniform()) - 1 }
        let radius = Int(4 * sigma + 0.5)
        let weights = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let total = weights.reduce(0, +)
        let kernel = weights.map { $0 / total }
        var field = [Float](repeating: 0, count: 2 * plane)
        var rows = [Double](repeating: 0, count: plane)
        for axis in 0..<2 {
            let base = axis * plane
            // Separable: along each row, then along each column.
            for r in 0..<height {
                for c in 0..<width {
                    var sum = 0.0
                    for k in max(-radius, -c)...min(radius, width - 1 - c) {
                        sum += kernel[k + radius] * noise[base + r * width + c + k]
                    }
                    rows[r * width + c] = sum
                }
            }
            for r in 0..<height {
                for c in 0..<width {
                    var sum = 0.0
                    for k in max(-radius, -r)...min(radius, height - 1 - r) {
                        sum += kernel[k + radius] * rows[(r + k) * width + c]
                    }
                    field[base + r * width + c] = Float(alpha * sum)
                }
            }
        }
        return field
    }
}

extension ClassicalAugmentation.Warp {
    /// Where each output pixel of an `height` x `width` image reads the input, row-major.
    func fillSources(_ sources: inout [(x: Double, y: Double)], height: Int, width: Int) {
        let plane = height * width
        let centreX = Double(width - 1) / 2, centreY = Double(height - 1) / 2
        let angle = rotation * .pi / 180
        // The inverse of "rotate counterclockwise on screen, then zoom" with rows growing downwards.
        let cosine = cos(angle) / scale, sine = sin(angle) / scale
        for row in 0..<height {
            for column in 0..<width {
                let p = row * width + column
                var x = Double(column), y = Double(row)
                if !displacement.isEmpty {
                    x += Double(displacement[p])
                    y += Double(displacement[plane + p])
                }
                let u = x - shiftX - centreX, v = y - shiftY - centreY
                sources[p] = (cosine * u - sine * v + centreX, sine * u + cosine * v + centreY)
            }
        }
    }
}
