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

    /// The model a recipe describes, with weights another tool wrote (a PyTorch state dict saved with safetensors).
    public static func load(recipe: URL, weights: URL, options: SamplingOptions = .init()) throws -> any GenerativeModel {
        let (parsed, _) = try RecipeLoader.load(recipe)
        let tensors = try SafeTensors.read(from: weights)
        try tensors.requireFinite(path: weights.path)
        return try build(parsed.model, weights: tensors, source: weights, step: nil,
                         audio: parsed.audio, options: options)
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
