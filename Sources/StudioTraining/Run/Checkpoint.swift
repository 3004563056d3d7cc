import Foundation
import StudioCore
import StudioIO

/// Where a run stands, saved beside the weights so that a resumed run continues exactly as an
/// uninterrupted one: every random stream is derived from (seed, stream, step), so the step and the
/// data cursor are all the randomness state there is.
public struct TrainingState: Codable, Equatable, Sendable {
    /// Steps completed.
    public var step: Int
    /// The epoch the data cursor is in.
    public var epoch: Int
    /// Position inside the epoch's shuffled order.
    public var cursor: Int
    /// The run seed.
    public var seed: UInt64
    /// Compute threads the run used (bytes are identical only for the same count).
    public var threads: Int
    /// Seconds spent training so far, over all sessions.
    public var elapsedSeconds: Double
    /// The data-parallel ranks that trained the run (absent for one process, as before ranks existed).
    public var ranks: Int?

    public init(step: Int, epoch: Int, cursor: Int, seed: UInt64, threads: Int, elapsedSeconds: Double, ranks: Int? = nil) {
        self.step = step
        self.epoch = epoch
        self.cursor = cursor
        self.seed = seed
        self.threads = threads
        self.elapsedSeconds = elapsedSeconds
        self.ranks = ranks
    }
}

extension TrainingState {
    /// What is impossible about the values, naming the key and value; nil when they can be resumed.
    var problem: String? {
        for (key, value) in [("step", step), ("epoch", epoch), ("cursor", cursor), ("threads", threads)] where value < 0 {
            return "\"\(key)\" is \(value); a training state's counters are never negative"
        }
        guard elapsedSeconds.isFinite, elapsedSeconds >= 0 else {
            return "\"elapsedSeconds\" is \(elapsedSeconds); expected 0 or more seconds"
        }
        return nil
    }
}

/// The files of one checkpoint directory: `model.safetensors`, `optimizer.safetensors`, `state.json`.
public enum Checkpoint {
    public static let modelFile = "model.safetensors"
    public static let optimizerFile = "optimizer.safetensors"
    public static let stateFile = "state.json"

    /// The directory name for `step`, zero-padded so that names sort by step.
    public static func name(step: Int) -> String { String(format: "step-%06d", step) }

    /// Writes a checkpoint for `state.step` under `checkpoints/` atomically: the files go to a
    /// temporary directory, are flushed, the directory is renamed into place, then `latest` is
    /// pointed at it. Older checkpoints beyond `keep` (0: keep all) are removed afterwards.
    @discardableResult
    public static func write(into checkpoints: URL, model: SafeTensors, optimizer: SafeTensors,
                             state: TrainingState, keep: Int) throws -> URL {
        let fm = FileManager.default
        try fm.createDirectory(at: checkpoints, withIntermediateDirectories: true)
        let final = checkpoints.appendingPathComponent(name(step: state.step))
        let staging = checkpoints.appendingPathComponent(".\(final.lastPathComponent).tmp")
        removeStaging(in: checkpoints)
        try fm.createDirectory(at: staging, withIntermediateDirectories: false)
        do {
            try model.write(to: staging.appendingPathComponent(modelFile))
            try optimizer.write(to: staging.appendingPathComponent(optimizerFile))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try encoder.encode(state), to: staging.appendingPathComponent(stateFile))
        } catch {
            try? fm.removeItem(at: staging)
            throw error
        }
        if fm.fileExists(atPath: final.path) {
            let old = checkpoints.appendingPathComponent(".\(final.lastPathComponent).old")
            try? fm.removeItem(at: old)
            try fm.moveItem(at: final, to: old)
            try fm.moveItem(at: staging, to: final)
            try? fm.removeItem(at: old)
        } else {
            try fm.moveItem(at: staging, to: final)
        }
        try pointLatest(in: checkpoints, to: final.lastPathComponent)
        AtomicFile.syncDirectory(checkpoints)
        if keep > 0 { prune(checkpoints, keep: keep, protecting: final.lastPathComponent) }
        return final
    }

    /// Replaces the `latest` link in one rename, so it always names a complete checkpoint.
    static func pointLatest(in checkpoints: URL, to name: String) throws {
        let fm = FileManager.default
        let link = checkpoints.appendingPathComponent("latest")
        let temporary = checkpoints.appendingPathComponent(".latest.tmp")
        try? fm.removeItem(at: temporary)
        try fm.createSymbolicLink(atPath: temporary.path, withDestinationPath: name)
        guard rename(temporary.path, link.path) == 0 else {
            throw FileFormatError(path: link.path, "cannot update the latest-checkpoint link: \(String(cString: strerror(errno)))")
        }
    }

    /// Removes half-written checkpoints (`.step-NNNNNN.tmp`) that a killed process left behind; no
    /// reader ever looks at them. (A `.old` directory may hold the only copy of a step, so it stays.)
    static func removeStaging(in checkpoints: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? []
        for name in names where name.hasPrefix(".step-") && name.hasSuffix(".tmp") {
            try? FileManager.default.removeItem(at: checkpoints.appendingPathComponent(name))
        }
    }

    static func prune(_ checkpoints: URL, keep: Int, protecting: String) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? [])
            .filter { $0.hasPrefix("step-") }.sorted()
        for name in names.dropLast(keep) where name != protecting {
            try? FileManager.default.removeItem(at: checkpoints.appendingPathComponent(name))
        }
    }

    /// The checkpoint directory a user's path names: a run directory (its latest checkpoint),
    /// a checkpoint directory, or a `model.safetensors` file (its directory).
    public static func resolve(_ path: URL) throws -> URL {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
            throw FileFormatError(path: path.path, "no such checkpoint, checkpoint directory or run directory")
        }
        if !isDirectory.boolValue { return path.deletingLastPathComponent() }
        if fm.fileExists(atPath: path.appendingPathComponent(modelFile).path) { return path }
        let latest = path.appendingPathComponent("checkpoints/latest")
        if fm.fileExists(atPath: latest.appendingPathComponent(modelFile).path) {
            return latest.resolvingSymlinksInPath()
        }
        if fm.fileExists(atPath: path.appendingPathComponent("recipe.toml").path) {
            throw FileFormatError(path: path.path, "is a run directory with no checkpoint yet: the first is written at checkpoint.interval steps or when training stops (Ctrl-C writes one)")
        }
        throw FileFormatError(path: path.path, "is neither a checkpoint (no \(modelFile)) nor a run directory with checkpoints/latest")
    }

    /// Reads `state.json` of a checkpoint directory.
    public static func readState(_ directory: URL) throws -> TrainingState {
        let url = directory.appendingPathComponent(stateFile)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw FileFormatError(path: url.path, "missing: this checkpoint cannot be resumed (it holds weights only)")
        }
        let state: TrainingState
        do {
            state = try JSONDecoder().decode(TrainingState.self, from: data)
        } catch {
            throw FileFormatError(path: url.path, "not a valid training state: \(error)")
        }
        if let problem = state.problem { throw FileFormatError(path: url.path, problem) }
        return state
    }
}

extension Checkpoint {
    /// The `model.safetensors` a user's CHECKPOINT path names (a run directory, a checkpoint
    /// directory or the file itself), and its contents.
    public static func readModel(_ path: URL) throws -> (file: URL, tensors: SafeTensors) {
        let file = try modelFile(path)
        return (file, try SafeTensors.read(from: file))
    }

    /// The `model.safetensors` a user's CHECKPOINT path names.
    public static func modelFile(_ path: URL) throws -> URL {
        if path.pathExtension == "safetensors" { return path }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw FileFormatError(path: path.path, "is not a checkpoint: give a run directory, a checkpoint directory or a .safetensors file")
        }
        return try resolve(path).appendingPathComponent(modelFile)
    }
}
