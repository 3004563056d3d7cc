import Foundation
import StudioIO

/// The folder of one training run (DESIGN section 5): the resolved recipe, metrics, TensorBoard
/// events, sample grids and checkpoints.
public struct RunDirectory: Sendable {
    public let url: URL

    public init(url: URL) { self.url = url }

    public var recipe: URL { url.appendingPathComponent("recipe.toml") }
    public var samples: URL { url.appendingPathComponent("samples") }
    public var checkpoints: URL { url.appendingPathComponent("checkpoints") }
    public var metricsJSONL: URL { url.appendingPathComponent("metrics.jsonl") }
    public var metricsCSV: URL { url.appendingPathComponent("metrics.csv") }

    /// A new run directory `<outputs>/<recipeName>/<timestamp>` (suffixed when taken), or `explicit`
    /// when given; it must not already hold a run.
    public static func create(outputs: URL, recipeName: String, explicit: URL?, resolvedRecipe: String) throws -> RunDirectory {
        let fm = FileManager.default
        var url: URL
        if let explicit {
            url = explicit
            if fm.fileExists(atPath: explicit.appendingPathComponent("recipe.toml").path) {
                guard (try? Checkpoint.resolve(explicit)) == nil else {
                    throw FileFormatError(path: explicit.path, "already holds a run; resume it with --resume \(explicit.path) or choose another --out")
                }
                // A run stopped before its first checkpoint left nothing to resume: it starts again.
                try? fm.removeItem(at: explicit)
            }
        } else {
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyyMMdd-HHmmss"
            formatter.timeZone = TimeZone(identifier: "UTC")
            let base = outputs.appendingPathComponent(recipeName).appendingPathComponent(formatter.string(from: Date()))
            url = base
            var suffix = 2
            while fm.fileExists(atPath: url.path) {
                url = URL(fileURLWithPath: base.path + "-\(suffix)")
                suffix += 1
            }
        }
        let run = RunDirectory(url: url)
        do {
            try fm.createDirectory(at: run.samples, withIntermediateDirectories: true)
            try fm.createDirectory(at: run.checkpoints, withIntermediateDirectories: true)
        } catch {
            throw FileFormatError(path: url.path, "cannot create the run directory: \(error.localizedDescription)")
        }
        try AtomicFile.write(Data(resolvedRecipe.utf8), to: run.recipe)
        return run
    }

    /// The TensorBoard event file of the run, if one was started.
    public var eventFile: URL? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { $0.hasPrefix("events.out.tfevents.") }.sorted().last.map { url.appendingPathComponent($0) }
    }
}
