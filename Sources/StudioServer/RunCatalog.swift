import Foundation
import TOMLKit

/// Where a run stands, read from its files.
public enum RunState: String, Codable, Sendable {
    /// Its metrics grew in the last `RunCatalog.liveSeconds` past its latest checkpoint (a run that
    /// stops writes a checkpoint at its last step).
    case training
    /// It has a checkpoint short of the recipe's steps and is not growing: it can be resumed.
    case stopped
    /// Its latest checkpoint is at the recipe's last step.
    case finished
    /// It stopped before writing a checkpoint, or a file of it cannot be read.
    case failed
}

/// One run directory as the runs page lists it.
public struct RunSummary: Codable, Sendable {
    /// The run's folder relative to the runs folder.
    public var path: String
    /// The recipe's `model.family` (gan, vae, diffusion, classifier).
    public var family: String
    /// The recipe's name: the folder above the run (`outputs/<recipe>/<run>`), else the run's own.
    public var recipe: String
    /// The recipe's `data.path`.
    public var data: String
    /// The last step in metrics.jsonl.
    public var step: Int
    /// The recipe's `train.steps` (nil for a run counted in epochs).
    public var totalSteps: Int?
    /// Where the run stands.
    public var state: RunState
    /// The last row of metrics.jsonl, by name.
    public var lastMetrics: [String: Double]
    /// The newest sample grid (or an audio run's picture), relative to the runs folder.
    public var latestGrid: String?
    /// When the run's files last changed.
    public var modified: Date
    /// What could not be read, for the run's page; nil when everything could.
    public var problem: String?
}

/// The runs, evaluation reports and augmentation jobs under a runs folder.
public struct RunCatalog: Sendable {
    /// Seconds since its metrics last grew for which a run counts as training.
    public static let liveSeconds: TimeInterval = 120

    /// The folder searched.
    public let folder: RunsFolder
    /// Every run's parsed metrics, shared by the copies of this catalog.
    let metricsCache = MetricsCache()

    /// The catalog of `folder`.
    public init(folder: RunsFolder) { self.folder = folder }

    /// The metrics rows of the run at `url`, parsed once per change of the file.
    public func metrics(of url: URL) throws -> [RunFiles.MetricsRow] {
        try metricsCache.rows(of: RunFiles(url))
    }

    /// Every run directory (a folder with recipe.toml), flat or nested, newest first.
    public func runs() -> [RunSummary] {
        directories { FileManager.default.fileExists(atPath: $0.appendingPathComponent("recipe.toml").path) }
            .map(summary).sorted { $0.modified > $1.modified }
    }

    /// Every folder holding `name` (report.json, manifest.json) that is not inside a run directory's
    /// checkpoints or samples, relative to the runs folder.
    public func folders(holding name: String) -> [String] {
        directories { FileManager.default.fileExists(atPath: $0.appendingPathComponent(name).path) }
            .map { folder.relativePath(of: $0) }.sorted()
    }

    /// The folders under the runs folder (to a depth of 6; hidden ones, checkpoints, samples and the
    /// inside of augmentation jobs left out) that `keep` accepts.
    private func directories(_ keep: (URL) -> Bool) -> [URL] {
        var found: [URL] = []
        func visit(_ url: URL, depth: Int) {
            if keep(url) { found.append(url) }
            // An augmentation job's class folders can hold many thousands of samples and no runs.
            let isJob = FileManager.default.fileExists(atPath: url.appendingPathComponent("manifest.json").path)
            guard depth < 6, !isJob, let names = try? FileManager.default.contentsOfDirectory(atPath: url.path) else { return }
            for name in names.sorted() where !name.hasPrefix(".") && name != "checkpoints" && name != "samples" {
                let child = url.appendingPathComponent(name)
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: child.path, isDirectory: &isDirectory), isDirectory.boolValue,
                      folder.resolve(folder.relativePath(of: child)) != nil else { continue }
                visit(child, depth: depth + 1)
            }
        }
        visit(folder.root, depth: 0)
        return found
    }

    /// The summary of the run in `url`; what cannot be read is named in `problem` instead of failing.
    public func summary(of url: URL) -> RunSummary {
        let files = RunFiles(url)
        var summary = RunSummary(path: folder.relativePath(of: url), family: "?", recipe: url.deletingLastPathComponent().lastPathComponent,
                                 data: "?", step: 0, totalSteps: nil, state: .failed, lastMetrics: [:], latestGrid: nil,
                                 modified: files.modified, problem: nil)
        if summary.path.split(separator: "/").count < 2 { summary.recipe = url.lastPathComponent }
        do {
            let recipe = try files.recipe()
            summary.family = recipe.family
            summary.data = recipe.data
            summary.totalSteps = recipe.steps
            let rows = try metricsCache.rows(of: files)
            if let last = rows.last {
                summary.step = last.step
                summary.lastMetrics = last.values
            }
        } catch {
            summary.problem = "\(error)"
        }
        summary.latestGrid = files.grids().last.map { folder.relativePath(of: $0.url) }
        let checkpointStep = files.checkpointSteps().last
        let growing = Date().timeIntervalSince(files.modified) < Self.liveSeconds && (checkpointStep ?? -1) < summary.step
        if summary.problem != nil {
            summary.state = .failed
        } else if let total = summary.totalSteps, let checkpointStep, checkpointStep >= total {
            summary.state = .finished
        } else if growing {
            summary.state = .training
        } else {
            summary.state = checkpointStep == nil ? .failed : .stopped
        }
        return summary
    }
}
