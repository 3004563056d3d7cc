import Foundation
import StudioCore
import StudioIO
import StudioNN

/// What to draw from a generator: how many, from which noise, and whether to walk between latents.
public struct SampleRequest {
    /// Images (or interpolation rows) to make.
    public var count: Int
    /// Seed of the latent noise when no latents are given.
    public var seed: UInt64
    /// Explicit latents `[N, latentSize]`, overriding `count` and `seed`.
    public var latents: Tensor?
    /// Points per interpolation row between consecutive pairs of latents; nil for plain samples.
    public var interpolationSteps: Int?
    /// Batch-norm statistics: running (evaluation mode, the default) or the batch's own.
    public var useBatchStatistics: Bool
    /// Conditional models: the class of every sample; nil gives sample i (or interpolation row i) class i mod classes.
    public var classLabel: Int?

    public init(count: Int, seed: UInt64 = 0, latents: Tensor? = nil, interpolationSteps: Int? = nil,
                useBatchStatistics: Bool = false, classLabel: Int? = nil) {
        self.count = count
        self.seed = seed
        self.latents = latents
        self.interpolationSteps = interpolationSteps
        self.useBatchStatistics = useBatchStatistics
        self.classLabel = classLabel
    }
}

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

    /// The classes of `count` samples of a model with `classCount` classes: `classLabel` for all, or
    /// sample i of class (i / groupSize) mod classes; empty for an unconditional model, which takes no class.
    public static func labels(count: Int, classLabel: Int?, classCount: Int, groupSize: Int = 1) throws -> [Int] {
        guard classCount > 0 else {
            if let classLabel { throw SampleError("--class \(classLabel): this GAN is unconditional (trained without classes)") }
            return []
        }
        if let classLabel {
            guard classLabel >= 0 && classLabel < classCount else {
                throw SampleError("--class \(classLabel) is outside this model's classes 0...\(classCount - 1)")
            }
            return [Int](repeating: classLabel, count: count)
        }
        return (0..<count).map { ($0 / Swift.max(1, groupSize)) % classCount }
    }
}

extension LoadedModel {
    /// The latents a request asks for: `[N, latentSize]`, or for interpolation `[rows * steps, latentSize]`
    /// walking along great circles (slerp) between consecutive pairs.
    public func latents(for request: SampleRequest) throws -> Tensor {
        let size = gan.config.latentSize
        var base: Tensor
        if let given = request.latents {
            guard given.rank == 2, given.shape[0] > 0, given.shape[1] == size else {
                throw SampleError("latents must be [N, \(size)] with N >= 1 for this model, got \(given.shape)")
            }
            base = given
        } else {
            let rows = request.interpolationSteps == nil ? request.count : request.count * 2
            base = GANSampler.noise(seed: request.seed, indices: Array(0..<rows), latentSize: size)
        }
        guard let steps = request.interpolationSteps else { return base }
        guard steps >= 2 else { throw SampleError("--interpolate needs at least 2 points, got \(steps)") }
        guard base.shape[0] >= 2 else { throw SampleError("interpolation needs at least 2 latents, got \(base.shape[0])") }
        var rows: [Tensor] = []
        for pair in 0..<(base.shape[0] / 2) {
            let a = base.sliced(alongAxis: 0, (2 * pair)..<(2 * pair + 1))
            let b = base.sliced(alongAxis: 0, (2 * pair + 1)..<(2 * pair + 2))
            for i in 0..<steps { rows.append(Self.slerp(a, b, Float(i) / Float(steps - 1))) }
        }
        return Tensor.concatenate(rows, alongAxis: 0)
    }

    /// The classes for `count` latents made by `latents(for: request)`: the request's class, or by
    /// sample (by interpolation row) index mod classes; empty for an unconditional model.
    public func labels(for request: SampleRequest, count: Int) throws -> [Int] {
        try GANSampler.labels(count: count, classLabel: request.classLabel, classCount: gan.config.classCount,
                              groupSize: request.interpolationSteps ?? 1)
    }

    /// Images `[N, C, H, W]` in -1...1 for `latents` (and N labels when conditional), in batches of 256.
    public func generate(latents: Tensor, labels: [Int] = [], useBatchStatistics: Bool = false) -> Tensor {
        precondition(gan.config.isConditional == !labels.isEmpty, "generate: a conditional GAN needs labels, an unconditional one none")
        return withoutGradients {
            let context = ForwardContext(training: useBatchStatistics)
            var parts: [Tensor] = []
            var start = 0
            while start < latents.shape[0] {
                let end = Swift.min(latents.shape[0], start + 256)
                parts.append(gan.generate(latents.sliced(alongAxis: 0, start..<end),
                                          labels: labels.isEmpty ? [] : Array(labels[start..<end]), context: context))
                start = end
            }
            return parts.count == 1 ? parts[0] : Tensor.concatenate(parts, alongAxis: 0)
        }
    }

    /// Spherical interpolation between `[1, D]` latents, which keeps norms typical of Gaussian noise.
    static func slerp(_ a: Tensor, _ b: Tensor, _ t: Float) -> Tensor {
        let dot = (a * b).sum().item
        let na = (a * a).sum().item.squareRoot(), nb = (b * b).sum().item.squareRoot()
        let cosine = Swift.max(-1, Swift.min(1, dot / Swift.max(na * nb, 1e-12)))
        let omega = acos(cosine)
        if omega < 1e-4 { return a * (1 - t) + b * t }
        return a * (sin((1 - t) * omega) / sin(omega)) + b * (sin(t * omega) / sin(omega))
    }
}

/// A sampling request that cannot be met, in the user's terms.
public struct SampleError: Error, LocalizedError, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var errorDescription: String? { message }
}
