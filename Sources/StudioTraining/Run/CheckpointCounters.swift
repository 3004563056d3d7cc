import Foundation
import StudioIO
import StudioOptim

/// The counters a checkpoint keeps as numbers: each optimizer's per-parameter `step`, the moving
/// average's `ema.update_count` (both Float32, as PyTorch keeps them) and batch norm's
/// `num_batches_tracked`. Checked before a run resumes, so that an impossible value is a clear error
/// naming the file, tensor and value instead of a wrong bias correction or a trap at the next write.
enum CheckpointCounters {
    /// The largest whole number Float32 holds exactly, past which a Float32 counter stops counting.
    static let limit = 1 << 24

    /// Throws a `FileFormatError` for the first counter that is not a whole number in `0...2^24`, or,
    /// for optimizer counters, that exceeds the `updates` the run has made so far (its step times the
    /// task's updates per step).
    static func validate(model: SafeTensors, modelPath: String, optimizer: SafeTensors, optimizerPath: String,
                         updates: Int) throws {
        for entry in model.entries where entry.name.hasSuffix("num_batches_tracked") {
            try check(entry, path: modelPath, most: limit, bound: "a whole number in 0...\(limit)")
        }
        let averageCounter = ModelCheckpoint.averagePrefix + ExponentialMovingAverage.updateCountKey
        for entry in optimizer.entries where entry.name.hasSuffix(".step") || entry.name == averageCounter {
            let most = Swift.min(limit, updates)
            try check(entry, path: optimizerPath, most: most,
                      bound: "a whole number in 0...\(most), the run's \(updates) updates so far (the step in state.json times the updates per step)")
        }
    }

    private static func check(_ entry: SafeTensors.Entry, path: String, most: Int, bound: String) throws {
        guard entry.tensor.elementCount == 1 else {
            throw FileFormatError(path: path, "counter '\(entry.name)' has shape \(entry.tensor.shape); expected one value")
        }
        let value = entry.tensor.scalars[0]
        guard value.isFinite, value >= 0, value <= Float(most), value.rounded(.towardZero) == value else {
            let shown = value.isFinite && value.rounded(.towardZero) == value && abs(value) < 1e18 ? "\(Int64(value))" : "\(value)"
            throw FileFormatError(path: path, "counter '\(entry.name)' is \(shown); expected \(bound)")
        }
    }
}
