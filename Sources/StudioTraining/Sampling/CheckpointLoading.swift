import Foundation
import StudioIO
import StudioModels
import StudioNN

/// The steps every sampling loader shares: finding and reading a checkpoint's model file, reading a
/// recipe plus foreign weights, and loading weights with an error that names the file.
enum CheckpointLoading {
    /// `build(config, tensors, file, step)` over the model file CHECKPOINT names.
    static func load<Model>(checkpoint path: URL,
                            build: (ModelConfig, SafeTensors, URL, Int?) throws -> Model) throws -> Model {
        let (file, tensors) = try LoadedModel.readCheckpoint(path)
        let config = try ModelCheckpoint.config(of: tensors, path: file.path)
        return try build(config, tensors, file, tensors.metadata["step"].flatMap(Int.init))
    }

    /// `build(config, tensors, file, nil)` over the model a recipe describes and weights another tool wrote.
    static func load<Model>(recipe: URL, weights: URL,
                            build: (ModelConfig, SafeTensors, URL, Int?) throws -> Model) throws -> Model {
        let (parsed, _) = try RecipeLoader.load(recipe)
        return try build(parsed.model, try SafeTensors.read(from: weights), weights, nil)
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

extension LoadedModel {
    /// The `model.safetensors` a user's CHECKPOINT path names, and its contents.
    static func readCheckpoint(_ path: URL) throws -> (file: URL, tensors: SafeTensors) {
        let directory = try Checkpoint.resolve(path)
        let file = path.pathExtension == "safetensors" ? path : directory.appendingPathComponent(Checkpoint.modelFile)
        return (file, try SafeTensors.read(from: file))
    }

    /// The model family stored in a checkpoint's metadata ("gan", "vae"), so a caller can pick the loader.
    public static func family(checkpoint path: URL) throws -> String {
        let (file, tensors) = try readCheckpoint(path)
        return try ModelCheckpoint.config(of: tensors, path: file.path).family
    }

    /// The audio settings stored in a checkpoint of a model trained on sound; nil for an image model.
    public static func audio(checkpoint path: URL) throws -> AudioSettings? {
        let (file, tensors) = try readCheckpoint(path)
        return try ModelCheckpoint.audio(of: tensors, path: file.path)
    }
}
