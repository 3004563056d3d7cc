import Foundation
import StudioCore
import StudioIO
import StudioModels

/// Samples drawn from a checkpoint of any image family for evaluation.
public enum GeneratedSamples {
    /// `count` images `[N, C, H, W]` in 0...1 from CHECKPOINT, with their classes when the model is
    /// class-conditional (class `i % classes` for sample i). Diffusion models sample with `options`
    /// (guidance applies to conditional ones); `progress(done, total)` follows the samples.
    public static func draw(checkpoint: URL, count: Int, seed: UInt64, options: DiffusionSampleOptions,
                            progress: (Int, Int) -> Void = { _, _ in }) throws -> (images: Tensor, labels: [Int]?) {
        guard count >= 1 else { throw SampleError("the sample count must be at least 1, got \(count)") }
        let batch = 256
        switch try LoadedModel.family(checkpoint: checkpoint) {
        case "diffusion":
            let model = try LoadedDiffusion.load(checkpoint: checkpoint)
            let labels = model.config.isConditional ? (0..<count).map { $0 % model.config.classes } : nil
            var request = options
            if !model.config.isConditional { request.guidance = 1 }
            try model.sampler.check(request, labels: labels.map { Array($0.prefix(1)) })
            var parts: [Tensor] = []
            for start in stride(from: 0, to: count, by: batch) {
                let end = min(count, start + batch)
                var noiseGenerator = RandomGenerator(seed: seed, stream: 5, step: UInt64(start))
                let noise = Tensor.randomNormal(Shape([end - start] + model.config.imageShape), using: &noiseGenerator)
                var generator = RandomGenerator(seed: seed, stream: 6, step: UInt64(start))
                let result = try model.sampler.sample(noise: noise, labels: labels.map { Array($0[start..<end]) },
                                                      options: request, generator: &generator)
                parts.append((result.images + 1) * 0.5)
                progress(end, count)
            }
            return (Tensor.concatenate(parts, alongAxis: 0), labels)
        case "vae":
            let model = try LoadedVAE.load(checkpoint: checkpoint)
            let z = try model.latents(for: SampleRequest(count: count, seed: seed))
            let labels = try model.labels(count: count, classLabel: nil)
            let images = model.decode(latents: z, labels: labels)
            progress(count, count)
            return (images, labels.isEmpty ? nil : labels)
        default:
            let model = try LoadedModel.load(checkpoint: checkpoint)
            let request = SampleRequest(count: count, seed: seed)
            let labels = try model.labels(for: request, count: count)
            let images = model.generate(latents: try model.latents(for: request), labels: labels)
            progress(count, count)
            return ((images + 1) * 0.5, labels.isEmpty ? nil : labels)
        }
    }
}
