import Foundation
import StudioIO
import StudioModels
import StudioNN

/// Loads any family's generative model through one switch over the model config: from a run
/// directory, a checkpoint directory or a `model.safetensors`, or from a recipe plus weights another
/// tool wrote.
public enum GeneratorLoader {
    /// The model CHECKPOINT names, built with `options` (weights, normalisation, sampler), which are
    /// checked against what the model can do.
    public static func load(checkpoint path: URL, options: SamplingOptions = .init()) throws -> any GenerativeModel {
        let (file, tensors) = try Checkpoint.readModel(path)
        try tensors.requireFinite(path: file.path)
        let config = try ModelCheckpoint.config(of: tensors, path: file.path)
        return try build(config, weights: tensors, source: file, step: tensors.metadata["step"].flatMap(Int.init),
                         audio: try ModelCheckpoint.audio(of: tensors, path: file.path), options: options)
    }

    /// The model a recipe describes, with weights another tool wrote (a PyTorch state dict saved with
    /// safetensors). A diffusion model takes the UNet's own state dict (`down.0.res.0.conv1.weight`, ...)
    /// or one under `unet.`, and samples with `ema.unet.*` when the file has them, else with the weights as given.
    public static func load(recipe: URL, weights: URL, options: SamplingOptions = .init()) throws -> any GenerativeModel {
        let (parsed, _) = try RecipeLoader.load(recipe)
        var tensors = try SafeTensors.read(from: weights)
        try tensors.requireFinite(path: weights.path)
        var options = options
        if case .diffusion = parsed.model {
            tensors = foreignDiffusionWeights(tensors)
            // A state dict saved from PyTorch has no moving average unless its author kept one.
            if !tensors.entries.contains(where: { $0.name.hasPrefix(DiffusionTask.emaPrefix) }) { options.averagedWeights = false }
        }
        return try build(parsed.model, weights: tensors, source: weights, step: nil,
                         audio: parsed.audio, options: options)
    }

    /// `weights` named as genstudio's diffusion checkpoints name them: a bare UNet state dict gets
    /// the `unet.` prefix; one that has `unet.` or `ema.unet.` names is kept as it is.
    static func foreignDiffusionWeights(_ weights: SafeTensors) -> SafeTensors {
        let prefixed = weights.entries.contains { $0.name.hasPrefix("unet.") || $0.name.hasPrefix(DiffusionTask.emaPrefix + "unet.") }
        guard !prefixed else { return weights }
        var copy = weights
        copy.entries = weights.entries.map { .init(name: "unet." + $0.name, tensor: $0.tensor, dtype: $0.dtype) }
        return copy
    }

    /// The one place a family is chosen: each config case builds its model.
    static func build(_ config: ModelConfig, weights: SafeTensors, source: URL, step: Int?, audio: AudioSettings?,
                      options: SamplingOptions) throws -> any GenerativeModel {
        let model: any GenerativeModel
        switch config {
        case .gan(let gan):
            var loaded = try LoadedGAN(config: gan, weights: weights, source: source, step: step, audio: audio,
                                       averaged: options.averagedWeights)
            loaded.usesBatchStatistics = options.batchStatistics
            if let confidence = options.labelConfidence { loaded.labelConfidence = Float(confidence) }
            model = loaded
        case .vae(let vae):
            model = try LoadedVAE(config: vae, weights: weights, source: source, step: step, audio: audio)
        case .diffusion(let diffusion):
            model = try LoadedDiffusion(config: diffusion, weights: weights, source: source, step: step, audio: audio,
                                        averaged: options.averagedWeights,
                                        options: options.diffusionOptions(conditional: diffusion.isConditional))
        case .classifier:
            throw SampleError("\(source.path) holds a classifier, which generates nothing; sampling takes a GAN, VAE or diffusion checkpoint")
        }
        try options.check(against: model)
        return model
    }

    /// Loads `weights` into `module`; a mismatch is an error naming `source`.
    static func restore(_ weights: SafeTensors, into module: any Module, source: URL) throws {
        do {
            try ModelCheckpoint.load(weights, into: module)
        } catch {
            throw FileFormatError(path: source.path, "weights do not match the model:\n\(error)")
        }
    }
}

extension GenerativeModel {
    /// This model as `type`, or an error saying it holds another family (`what` names the one wanted).
    func requiring<Model: GenerativeModel>(_ type: Model.Type, _ what: String, purpose: String? = nil) throws -> Model {
        guard let model = self as? Model else {
            throw SampleError("\(source.path) holds a \(config.family) model, not \(what)" + (purpose.map { "; \($0)" } ?? ""))
        }
        return model
    }
}
