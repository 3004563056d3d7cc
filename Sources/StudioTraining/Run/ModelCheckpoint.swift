import Foundation
import StudioCore
import StudioIO
import StudioModels
import StudioNN
import StudioOptim

/// Moves modules and optimizers to and from safetensors under PyTorch's state-dict names.
public enum ModelCheckpoint {
    /// `module`'s parameters and buffers (counters as I64), with the model config, family and step in
    /// the metadata so that the file alone is enough to sample.
    public static func encode(_ module: any Module, config: ModelConfig, step: Int) throws -> SafeTensors {
        let entries = module.stateEntries.map { name, child -> SafeTensors.Entry in
            switch child {
            case .parameter(let p): return .init(name: name, tensor: p.value.detached())
            case .buffer(let b): return .init(name: name, tensor: b.value, dtype: b.storageType == .int64 ? .int64 : .float32)
            case .module: preconditionFailure("stateEntries never lists modules")
            }
        }
        return SafeTensors(entries: entries, metadata: [
            "config": try config.jsonString(), "family": config.family, "step": String(step), "format": "genstudio",
        ])
    }

    /// Copies the tensors of `file` into `module`, or throws listing every missing, unexpected or
    /// mis-shaped tensor.
    public static func load(_ file: SafeTensors, into module: any Module) throws {
        try module.loadState(file.tensorsByName)
    }

    /// The model config stored in a checkpoint's metadata; `path` names the file in errors.
    public static func config(of file: SafeTensors, path: String) throws -> ModelConfig {
        guard let json = file.metadata["config"] else {
            throw FileFormatError(path: path, "has no model config in its metadata; to load weights written by another tool, use --recipe RECIPE --weights \(path)")
        }
        do {
            return try ModelConfig.fromJSON(json)
        } catch {
            throw FileFormatError(path: path, "the model config in its metadata is not valid: \(error)")
        }
    }

    /// The metadata key holding an audio model's `AudioSettings` as JSON.
    public static let audioKey = "audio"

    /// The audio settings of a model trained on sound, or nil for an image model; `path` names the file in errors.
    public static func audio(of file: SafeTensors, path: String) throws -> AudioSettings? {
        guard let json = file.metadata[audioKey] else { return nil }
        do {
            return try JSONDecoder().decode(AudioSettings.self, from: Data(json.utf8))
        } catch {
            throw FileFormatError(path: path, "the audio settings in its metadata are not valid: \(error)")
        }
    }

    /// Every optimizer's state, each key prefixed with the optimizer's name and a dot.
    public static func encodeOptimizers(_ optimizers: [String: any Optimizer]) -> SafeTensors {
        var entries: [SafeTensors.Entry] = []
        for name in optimizers.keys.sorted() {
            let state = optimizers[name]!.stateTensors()
            for key in state.keys.sorted() { entries.append(.init(name: "\(name).\(key)", tensor: state[key]!)) }
        }
        return SafeTensors(entries: entries)
    }

    /// Restores each optimizer from the keys under its prefix.
    public static func loadOptimizers(_ file: SafeTensors, into optimizers: [String: any Optimizer]) throws {
        for (name, optimizer) in optimizers {
            let prefix = name + "."
            var state: [String: Tensor] = [:]
            for entry in file.entries where entry.name.hasPrefix(prefix) {
                state[String(entry.name.dropFirst(prefix.count))] = entry.tensor
            }
            try optimizer.loadState(state)
        }
    }
}
