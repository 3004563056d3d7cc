import ArgumentParser
import Foundation
import StudioIO
import StudioTraining

/// `genstudio inspect CHECKPOINT`: what a checkpoint holds.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a checkpoint's model config, step, tensors and parameter counts.")

    @Argument(help: "Run directory, checkpoint directory or .safetensors file.")
    var checkpoint: String

    func run() throws {
        let (file, tensors) = try Checkpoint.readModel(URL(fileURLWithPath: checkpoint))
        print("file: \(file.path)")
        if let family = tensors.metadata["family"] { print("family: \(family)") }
        if let step = tensors.metadata["step"] { print("step: \(step)") }
        if let config = tensors.metadata["config"] { print("config:\n" + MetadataText.lines(json: config)) }
        if let audio = tensors.metadata["audio"] { print("audio:\n" + MetadataText.lines(json: audio)) }
        let directory = file.deletingLastPathComponent()
        if let state = try? Checkpoint.readState(directory) {
            print("state: step \(state.step), epoch \(state.epoch), cursor \(state.cursor), seed \(state.seed), threads \(state.threads), \(Int(state.elapsedSeconds)) s trained")
        }
        print("tensors:")
        let width = tensors.entries.map(\.name.count).max() ?? 0
        var groups: [String: Int] = [:]
        var total = 0, averaged = 0
        for entry in tensors.entries {
            print("  \(entry.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(entry.dtype.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0))  \(entry.tensor.shape)")
            // Counters, running statistics and spectral norm's power-iteration vectors are state, not parameters.
            let state = ["running_mean", "running_var", "weight_u", "weight_v"]
            guard entry.dtype == .float32, !state.contains(where: { entry.name.hasSuffix($0) }) else { continue }
            // A moving average is a second copy of weights counted already.
            if entry.name.hasPrefix(ModelCheckpoint.averagePrefix) {
                averaged += entry.tensor.elementCount
                continue
            }
            let group = String(entry.name.prefix { $0 != "." })
            groups[group, default: 0] += entry.tensor.elementCount
            total += entry.tensor.elementCount
        }
        for group in groups.keys.sorted() { print("parameters in \(group): \(groups[group]!)") }
        print("parameters: \(total)")
        if averaged > 0 { print("moving-average copies (ema.*, not counted above): \(averaged)") }
    }
}
