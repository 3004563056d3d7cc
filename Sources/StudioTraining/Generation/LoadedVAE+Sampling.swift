import Foundation
import StudioCore
import StudioIO
import StudioNN

extension LoadedVAE {
    /// Images `[N, C, H, W]` in 0...1 decoded from `latents` `[N, latentSize]`, in batches of 256.
    public func decode(latents: Tensor, labels: [Int]) -> Tensor {
        inBatches(latents.shape[0]) { range in
            vae.pixels(fromOutput: vae.decode(latents.sliced(alongAxis: 0, range), labels: slice(labels, range), context: .inference))
        }
    }

    /// The posterior means `[N, latentSize]` of images `[N, C, H, W]` in 0...1.
    public func encode(images: Tensor, labels: [Int]) throws -> Tensor {
        try checkImages(images, labels: labels)
        return inBatches(images.shape[0]) { range in
            vae.encode(images.sliced(alongAxis: 0, range), labels: slice(labels, range), context: .inference).mean
        }
    }

    /// Each image decoded from its posterior mean: `[N, C, H, W]` -> `[N, C, H, W]`, both in 0...1.
    public func reconstruct(images: Tensor, labels: [Int]) throws -> Tensor {
        decode(latents: try encode(images: images, labels: labels), labels: labels)
    }

    /// Rows of `steps` images decoded along the line between the encodings of images 0 and 1, 2 and 3, ...:
    /// `[2P, C, H, W]` -> `[P * steps, C, H, W]`; a conditional VAE keeps the first image's label along each row.
    public func interpolate(images: Tensor, labels: [Int], steps: Int) throws -> Tensor {
        let z = try walk(try encode(images: images, labels: labels), steps: steps)
        let rowLabels = labels.isEmpty ? [] : (0..<(images.shape[0] / 2)).flatMap { Array(repeating: labels[2 * $0], count: steps) }
        return decode(latents: z, labels: rowLabels)
    }

    /// The decoded grid over the latent plane of a 2-dimensional VAE: `size * size` images `[size², C, H, W]`,
    /// rows from high to low z₂, columns from low to high z₁, at the normal quantiles of 0.05...0.95
    /// so that the grid covers the prior evenly.
    public func manifold(size: Int, classLabel: Int?) throws -> Tensor {
        guard vaeConfig.latentSize == 2 else {
            throw SampleError("--manifold needs a 2-dimensional latent; this VAE's latent has \(vaeConfig.latentSize) dimensions")
        }
        guard size >= 2 else { throw SampleError("the manifold grid needs at least 2 points per side, got \(size)") }
        let quantiles = (0..<size).map { Float(LoadedVAE.probit(0.05 + 0.9 * Double($0) / Double(size - 1))) }
        var values: [Float] = []
        for row in 0..<size {
            for column in 0..<size { values += [quantiles[column], quantiles[size - 1 - row]] }
        }
        let z = Tensor(shape: [size * size, 2], scalars: values)
        return decode(latents: z, labels: try ClassChoice.labels(count: size * size, classLabel: classLabel, model: self) ?? [])
    }

    func checkImages(_ images: Tensor, labels: [Int]) throws {
        guard images.rank == 4, Array(images.shape.dimensions.dropFirst()) == vaeConfig.imageShape else {
            throw SampleError("images are \(images.shape), but this VAE reads [N, \(vaeConfig.imageShape.map(String.init).joined(separator: ", "))]")
        }
        if vaeConfig.isConditional && labels.count != images.shape[0] {
            throw SampleError("this VAE is conditional: give --classes K, or data with labels (an MNIST-format directory)")
        }
    }

    private func slice(_ labels: [Int], _ range: Range<Int>) -> [Int] { labels.isEmpty ? [] : Array(labels[range]) }

    private func inBatches(_ count: Int, _ body: (Range<Int>) -> Tensor) -> Tensor {
        withoutGradients {
            var parts: [Tensor] = []
            var start = 0
            while start < count {
                let end = Swift.min(count, start + 256)
                parts.append(body(start..<end))
                start = end
            }
            return parts.count == 1 ? parts[0] : Tensor.concatenate(parts, alongAxis: 0)
        }
    }

    /// The standard normal quantile of `p` in (0, 1) (Acklam's rational approximation, relative error below 1.2e-9).
    static func probit(_ p: Double) -> Double {
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        func tail(_ q: Double) -> Double {
            (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        if p < 0.02425 { return tail((-2 * Foundation.log(p)).squareRoot()) }
        if p > 1 - 0.02425 { return -tail((-2 * Foundation.log(1 - p)).squareRoot()) }
        let q = p - 0.5, r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }
}
