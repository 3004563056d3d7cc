import Foundation
import StudioCore
import StudioIO
import StudioModels

/// A diffusion model rebuilt from `model.safetensors` alone, with its averaged (default) or trained weights.
public struct LoadedDiffusion {
    /// The model config from the file's metadata.
    public let config: DiffusionConfig
    /// The network with the chosen weights.
    public let model: DiffusionModel
    /// The training step the weights come from, when the file says.
    public let step: Int?
    /// The file the weights came from.
    public let source: URL
    /// Whether the weights are the moving average (`ema.unet.*`) rather than the trained ones (`unet.*`).
    public let usesAveragedWeights: Bool

    /// The model file a user's CHECKPOINT path names (run directory, checkpoint directory or file).
    public static func modelFile(_ path: URL) throws -> URL {
        path.pathExtension == "safetensors" ? path : try Checkpoint.resolve(path).appendingPathComponent(Checkpoint.modelFile)
    }

    /// Whether the checkpoint at `path` holds a diffusion model (by its metadata).
    public static func isDiffusionCheckpoint(_ path: URL) throws -> Bool {
        try SafeTensors.read(from: modelFile(path)).metadata["family"] == "diffusion"
    }

    /// Loads CHECKPOINT with the moving-average weights, or the trained ones when `averaged` is false.
    public static func load(checkpoint path: URL, averaged: Bool = true) throws -> LoadedDiffusion {
        let file = try modelFile(path)
        let tensors = try SafeTensors.read(from: file)
        guard case .diffusion(let config) = try ModelCheckpoint.config(of: tensors, path: file.path) else {
            throw FileFormatError(path: file.path, "holds a \(tensors.metadata["family"] ?? "non-diffusion") model, not a diffusion model")
        }
        var generator = RandomStream.initialization.generator(seed: 0)
        let model = try DiffusionModel(config: config, using: &generator)
        let prefix = averaged ? DiffusionTask.emaPrefix : ""
        var weights: [String: Tensor] = [:]
        for entry in tensors.entries where entry.name.hasPrefix(prefix) {
            let name = String(entry.name.dropFirst(prefix.count))
            if averaged || !name.hasPrefix(DiffusionTask.emaPrefix) { weights[name] = entry.tensor }
        }
        if averaged && weights.isEmpty {
            throw FileFormatError(path: file.path, "has no moving-average weights (ema.unet.*); sample the trained weights with --no-ema")
        }
        do {
            try model.loadState(weights)
        } catch {
            throw FileFormatError(path: file.path, "\(averaged ? "moving-average " : "")weights do not match the model:\n\(error)")
        }
        return LoadedDiffusion(config: config, model: model, step: tensors.metadata["step"].flatMap(Int.init),
                               source: file, usesAveragedWeights: averaged)
    }

    /// A sampler over the loaded network and its noise schedule.
    public var sampler: DiffusionSampler { DiffusionSampler(unet: model.unet, process: DiffusionProcess(config: config)) }
}
