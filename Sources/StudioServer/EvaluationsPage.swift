import Foundation
import StudioTraining

/// `report.json` of `eval` and `eval augmentation`/`few-shot` as tables, and augmentation manifests.
struct EvaluationsPage {
    let catalog: RunCatalog

    func render() -> String {
        let reports = catalog.folders(holding: "report.json").map(report)
        let jobs = catalog.folders(holding: "manifest.json").compactMap(manifest)
        let body = """
        <section><h2>Evaluation reports</h2>\(reports.isEmpty ? "<p>No report.json under the runs folder.</p>" : reports.joined(separator: "\n"))</section>
        <section><h2>Augmentation jobs</h2>\(jobs.isEmpty ? "<p>No augmentation manifest under the runs folder.</p>" : jobs.joined(separator: "\n"))</section>
        """
        return HTML.page("Evaluations and augmentation", body: body)
    }

    /// One report, any shape: objects become tables, lists of objects rows, numbers of classes bars.
    private func report(_ path: String) -> String {
        let file = catalog.folder.root.appendingPathComponent(path).appendingPathComponent("report.json")
        guard let data = FileManager.default.contents(atPath: file.path),
              let object = try? JSONSerialization.jsonObject(with: data) else {
            return "<article><h3>\(HTML.escape(path))/report.json</h3><p class=\"error\">\(HTML.escape(file.path)) is not readable JSON</p></article>"
        }
        return "<article><h3>\(HTML.escape(path.isEmpty ? "report.json" : path + "/report.json"))</h3>\(render(object, depth: 0))</article>"
    }

    private func render(_ value: Any, depth: Int) -> String {
        switch value {
        case let object as [String: Any]:
            if !object.isEmpty, object.count <= 64, object.values.allSatisfy({ $0 is NSNumber }), object.keys.allSatisfy({ Int($0) != nil }) {
                return histogram(object.mapValues { ($0 as! NSNumber).doubleValue })
            }
            let rows = object.keys.sorted().map { "<tr><th>\(HTML.escape($0))</th><td>\(render(object[$0]!, depth: depth + 1))</td></tr>" }
            return "<table class=\"report\">\(rows.joined())</table>"
        case let list as [Any]:
            if list.allSatisfy({ $0 is NSNumber }) && list.count <= 64 {
                return list.map { HTML.number(($0 as! NSNumber).doubleValue) }.joined(separator: ", ")
            }
            if list.count > 64 { return "\(list.count) entries" }
            return list.map { render($0, depth: depth + 1) }.joined(separator: "<hr>")
        case let flag as Bool where type(of: value) == Bool.self:
            return flag ? "true" : "false"
        case let number as NSNumber:
            return HTML.number(number.doubleValue)
        case let text as String:
            return HTML.escape(text)
        default:
            return "null"
        }
    }

    /// Bars for per-class numbers (class histograms, counts).
    private func histogram(_ values: [String: Double]) -> String {
        let top = values.values.max() ?? 1
        let rows = values.keys.sorted { Int($0)! < Int($1)! }.map { key -> String in
            let width = top > 0 ? max(0, values[key]! / top * 100) : 0
            return "<tr><th>\(HTML.escape(key))</th><td><div class=\"bar\" style=\"width:\(String(format: "%.1f", width))%\"></div></td><td>\(HTML.number(values[key]!))</td></tr>"
        }
        return "<table class=\"histogram\">\(rows.joined())</table>"
    }

    /// One augmentation job: counts and rejections per class, sampler settings, shard and state.
    private func manifest(_ path: String) -> String? {
        let folder = catalog.folder.root.appendingPathComponent(path)
        let manifest: AugmentationManifest
        do {
            guard let read = try AugmentationManifest.read(in: folder) else { return nil }
            manifest = read
        } catch {
            return "<article><h3>\(HTML.escape(path))</h3><p class=\"error\">\(HTML.escape("\(error)"))</p></article>"
        }
        let classes = Set(manifest.counts.keys).union(manifest.rejected.keys).sorted { (Int($0) ?? 0, $0) < (Int($1) ?? 0, $1) }
        let top = Double(manifest.counts.values.max() ?? 1)
        let rows = classes.map { name -> String in
            let count = manifest.counts[name] ?? 0
            return "<tr><th>\(HTML.escape(name))</th><td><div class=\"bar\" style=\"width:\(String(format: "%.1f", top > 0 ? Double(count) / top * 100 : 0))%\"></div></td><td>\(count)</td><td>\(manifest.rejected[name] ?? 0)</td></tr>"
        }
        let sampler = manifest.job.sampler.sorted { $0.key < $1.key }.map { "\(HTML.escape($0.key)) \(HTML.escape($0.value))" }.joined(separator: ", ")
        return """
        <article><h3>\(HTML.escape(path.isEmpty ? "manifest.json" : path))</h3>
        <p>\(manifest.complete ? "complete" : "unfinished (resume with the same augment command)") · shard \(manifest.job.shard) ·
        \(manifest.job.spec.perClass) per class · format \(HTML.escape(manifest.job.spec.format.rawValue)) · seed \(manifest.job.spec.seed) ·
        checkpoint \(HTML.escape(manifest.checkpointPath))</p><p>sampler: \(sampler.isEmpty ? "defaults" : sampler)</p>
        <table class="histogram"><thead><tr><th>class</th><th></th><th>kept</th><th>rejected</th></tr></thead><tbody>\(rows.joined())</tbody></table></article>
        """
    }
}
