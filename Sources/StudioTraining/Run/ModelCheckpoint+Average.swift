import StudioCore
import StudioIO
import StudioOptim

/// A moving average of weights in checkpoints: its values in the model file and its update counter
/// in the optimizer file, each under `ema.` followed by the parameter's own (PyTorch-style) name.
extension ModelCheckpoint {
    /// The prefix of a moving average's tensors in both checkpoint files.
    public static let averagePrefix = "ema."

    /// Appends `ema`'s values to a model file.
    public static func appendAverage(_ ema: ExponentialMovingAverage, to file: inout SafeTensors) {
        for (name, value) in ema.averagedValues { file.entries.append(.init(name: averagePrefix + name, tensor: value)) }
    }

    /// Appends `ema`'s update counter to an optimizer file.
    public static func appendAverageCounter(_ ema: ExponentialMovingAverage, to file: inout SafeTensors) {
        let counter = ExponentialMovingAverage.updateCountKey
        file.entries.append(.init(name: averagePrefix + counter, tensor: ema.stateTensors()[counter]!))
    }

    /// A model file's tensors split into the trained ones and the averaged ones (prefix removed).
    public static func splitAverage(_ file: SafeTensors) -> (trained: [String: Tensor], averaged: [String: Tensor]) {
        var trained: [String: Tensor] = [:], averaged: [String: Tensor] = [:]
        for entry in file.entries {
            if entry.name.hasPrefix(averagePrefix) {
                averaged[String(entry.name.dropFirst(averagePrefix.count))] = entry.tensor
            } else {
                trained[entry.name] = entry.tensor
            }
        }
        return (trained, averaged)
    }

    /// Restores `ema` from the averaged values of a model file and the counter in its optimizer file.
    public static func restoreAverage(_ ema: ExponentialMovingAverage, values: [String: Tensor], optimizer: SafeTensors) throws {
        var state = values
        let counter = ExponentialMovingAverage.updateCountKey
        if let count = optimizer[averagePrefix + counter] { state[counter] = count }
        try ema.loadState(state)
    }
}
