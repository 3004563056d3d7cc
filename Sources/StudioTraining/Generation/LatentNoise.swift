import Foundation
import StudioCore

/// GAN latent noise that depends only on (seed, global sample index), so that a job's sample i is the
/// same however the samples are batched or sharded.
public enum GANSampler {
    /// Latents `[indices.count, latentSize]`; row j is N(0, 1) noise from the generator of
    /// (`seed`, the sample-latents stream, step `indices[j]`).
    public static func noise(seed: UInt64, indices: [Int], latentSize: Int) -> Tensor {
        precondition(latentSize > 0 && indices.allSatisfy { $0 >= 0 }, "GANSampler.noise: indices must not be negative")
        var rows = Tensor(zeros: [indices.count, latentSize])
        rows.withUnsafeMutableBufferPointer { buffer in
            for (row, index) in indices.enumerated() {
                var generator = RandomGenerator(seed: seed, stream: RandomStream.sampleLatents.rawValue, step: UInt64(index))
                generator.fillNormal(UnsafeMutableBufferPointer(rebasing: buffer[(row * latentSize)..<((row + 1) * latentSize)]))
            }
        }
        return rows
    }
}

/// Paths between pairs of latents, for `--interpolate`.
public enum LatentPath {
    /// `steps` points between rows 0 and 1, then 2 and 3, ... of `latents` `[2P, D]`, each from
    /// `point(a, b, t)`: `[P * steps, D]`.
    public static func walk(_ latents: Tensor, steps: Int, along point: (Tensor, Tensor, Float) -> Tensor) throws -> Tensor {
        guard steps >= 2 else { throw SampleError("--interpolate needs at least 2 points, got \(steps)") }
        guard latents.shape[0] >= 2 else { throw SampleError("interpolation needs at least 2 latents or images, got \(latents.shape[0])") }
        var rows: [Tensor] = []
        for pair in 0..<(latents.shape[0] / 2) {
            let a = latents.sliced(alongAxis: 0, (2 * pair)..<(2 * pair + 1))
            let b = latents.sliced(alongAxis: 0, (2 * pair + 1)..<(2 * pair + 2))
            for i in 0..<steps { rows.append(point(a, b, Float(i) / Float(steps - 1))) }
        }
        return Tensor.concatenate(rows, alongAxis: 0)
    }

    /// The straight line between `[1, D]` latents.
    public static func line(_ a: Tensor, _ b: Tensor, _ t: Float) -> Tensor { a * (1 - t) + b * t }

    /// Spherical interpolation between `[1, D]` latents, which keeps norms typical of Gaussian noise.
    public static func slerp(_ a: Tensor, _ b: Tensor, _ t: Float) -> Tensor {
        let dot = (a * b).sum().item
        let na = (a * a).sum().item.squareRoot(), nb = (b * b).sum().item.squareRoot()
        let cosine = Swift.max(-1, Swift.min(1, dot / Swift.max(na * nb, 1e-12)))
        let omega = acos(cosine)
        if omega < 1e-4 { return a * (1 - t) + b * t }
        return a * (sin((1 - t) * omega) / sin(omega)) + b * (sin(t * omega) / sin(omega))
    }
}
