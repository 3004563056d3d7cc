import Foundation

/// The runs page, a run's page and the comparison of runs.
struct RunPages {
    let catalog: RunCatalog

    /// Every run, filtered by `filter` (any part of path, family, recipe, data or state) and sorted by
    /// `sort` (modified, path, family, step, state).
    func runs(filter: String?, sort: String?) -> String {
        var runs = catalog.runs()
        if let filter, !filter.isEmpty {
            let needle = filter.lowercased()
            runs = runs.filter { [$0.path, $0.family, $0.recipe, $0.data, $0.state.rawValue].contains { $0.lowercased().contains(needle) } }
        }
        switch sort {
        case "path": runs.sort { $0.path < $1.path }
        case "family": runs.sort { ($0.family, $0.path) < ($1.family, $1.path) }
        case "step": runs.sort { $0.step > $1.step }
        case "state": runs.sort { ($0.state.rawValue, $0.path) < ($1.state.rawValue, $1.path) }
        default: break
        }
        let header = ["path", "family", "step", "state"].map {
            "<a href=\"/?sort=\($0)&amp;q=\(HTML.query(filter ?? ""))\">\($0)</a>"
        }
        let rows = runs.map { run -> String in
            let thumbnail = run.latestGrid.map { "<img class=\"thumb\" src=\"/file?path=\(HTML.query($0))\" alt=\"latest grid\">" } ?? ""
            let metrics = run.lastMetrics.sorted { $0.key < $1.key }.map { "\(HTML.escape($0.key)) \(HTML.number($0.value))" }
                .joined(separator: "<br>")
            let total = run.totalSteps.map { " / \($0)" } ?? ""
            return """
            <tr class="run" data-state="\(run.state.rawValue)"><td>\(thumbnail)</td>
            <td><a href="/run?path=\(HTML.query(run.path))">\(HTML.escape(run.path))</a></td>
            <td>\(HTML.escape(run.family))</td><td>\(HTML.escape(run.recipe))</td><td>\(HTML.escape(run.data))</td>
            <td>\(run.step)\(total)</td><td><span class="state \(run.state.rawValue)">\(run.state.rawValue)</span></td>
            <td class="metrics">\(metrics)</td><td><input type="checkbox" name="path" value="\(HTML.escape(run.path))" form="compare"></td></tr>
            """
        }
        let body = """
        <form class="filter" method="get" action="/"><input name="q" value="\(HTML.escape(filter ?? ""))" placeholder="filter: path, family, recipe, data, state">
        <input type="hidden" name="sort" value="\(HTML.escape(sort ?? ""))"><button>Filter</button></form>
        <form id="compare" method="get" action="/compare"><button>Compare the ticked runs</button></form>
        <table class="runs"><thead><tr><th>latest grid</th><th>\(header[0])</th><th>\(header[1])</th><th>recipe</th><th>data</th>
        <th>\(header[2])</th><th>\(header[3])</th><th>last metrics</th><th>compare</th></tr></thead>
        <tbody>\(rows.joined(separator: "\n"))</tbody></table>
        \(runs.isEmpty ? "<p class=\"empty\">No runs here: a run is a folder with recipe.toml.</p>" : "")
        """
        return HTML.page("Runs in \(catalog.folder.root.lastPathComponent)", body: body)
    }

    /// The grids of the run at `url`, oldest first, as the page's script reads them.
    func grids(of url: URL) -> [GridEntry] {
        RunFiles(url).grids().map {
            GridEntry(step: $0.step, image: catalog.folder.relativePath(of: $0.url), audio: $0.audio.map(catalog.folder.relativePath(of:)))
        }
    }

    /// The page of the run at `url`.
    func run(_ url: URL) -> String {
        let summary = catalog.summary(of: url)
        let files = RunFiles(url)
        let path = summary.path
        let grids = grids(of: url)
        let clipCount = grids.last?.audio.flatMap { try? files.clips(in: catalog.folder.root.appendingPathComponent($0)).count } ?? 0
        let recipeText = (try? files.recipe().text) ?? ""
        let checkpoints = files.checkpoints().map { checkpoint in
            """
            <tr><td>\(checkpoint.step)</td><td>\(HTML.escape(catalog.folder.relativePath(of: checkpoint.url)))</td><td>\(HTML.size(checkpoint.bytes))</td>
            <td><a href="/sample?path=\(HTML.query(catalog.folder.relativePath(of: checkpoint.url)))">sample</a>
            <a href="/file?path=\(HTML.query(catalog.folder.relativePath(of: checkpoint.url.appendingPathComponent("model.safetensors"))))&amp;download=1">model.safetensors</a></td></tr>
            """
        }
        let problems = files.dataProblems()
        let body = """
        \(summary.problem.map { "<p class=\"error\">\(HTML.escape($0))</p>" } ?? "")
        <p class="facts">\(HTML.escape(summary.family)) · recipe \(HTML.escape(summary.recipe)) · data \(HTML.escape(summary.data)) ·
        step \(summary.step)\(summary.totalSteps.map { " of \($0)" } ?? "") · <span class="state \(summary.state.rawValue)">\(summary.state.rawValue)</span></p>
        <section><h2>Metrics</h2>
        <div class="chart-controls"><label>smoothing <input type="range" id="smoothing" min="0" max="0.99" step="0.01" value="0"></label>
        <label><input type="checkbox" id="logscale"> log scale</label></div>
        <div id="charts" data-runs="\(HTML.escape(HTML.json([path])))" data-live="\(summary.state == .training)"></div></section>
        <section><h2>Samples</h2>
        \(gridViewer(grids, id: "grids", clips: clipCount, live: summary.state == .training ? path : nil))</section>
        <section><h2>Checkpoints</h2><table><thead><tr><th>step</th><th>folder</th><th>size</th><th></th></tr></thead>
        <tbody>\(checkpoints.joined(separator: "\n"))</tbody></table></section>
        <section><h2>Recipe</h2><pre>\(HTML.escape(recipeText))</pre></section>
        <section><h2>Data problems</h2>\(problems.isEmpty ? "<p>none (no data.log)</p>" : "<pre>\(HTML.escape(problems.joined(separator: "\n")))</pre>")</section>
        """
        return HTML.page(path, body: body)
    }

    /// Two or more runs' metrics on shared charts and their grids side by side at matching steps.
    func compare(_ urls: [URL]) -> String {
        let paths = urls.map(catalog.folder.relativePath(of:))
        let grids = urls.map { url in
            RunFiles(url).grids().map { GridEntry(step: $0.step, image: catalog.folder.relativePath(of: $0.url), audio: nil) }
        }
        let common = grids.dropFirst().reduce(Set(grids.first?.map(\.step) ?? [])) { $0.intersection($1.map(\.step)) }
        let columns = zip(paths, grids).map { path, entries in
            "<div class=\"column\"><h3>\(HTML.escape(path))</h3>\(gridViewer(entries.filter { common.contains($0.step) }, id: "grid-\(HTML.escape(path))", slider: false))</div>"
        }
        let body = """
        <section><h2>Metrics</h2>
        <div class="chart-controls"><label>smoothing <input type="range" id="smoothing" min="0" max="0.99" step="0.01" value="0"></label>
        <label><input type="checkbox" id="logscale"> log scale</label></div>
        <div id="charts" data-runs="\(HTML.escape(HTML.json(paths)))" data-live="false"></div></section>
        <section><h2>Grids at matching steps</h2>
        \(common.isEmpty ? "<p>The runs have no grid at a common step.</p>" :
            "<label>step <input type=\"range\" class=\"shared-slider\" min=\"0\" max=\"\(common.count - 1)\" value=\"\(common.count - 1)\"></label> <span class=\"shared-step\">step \(common.max()!)</span>")
        <div class="side-by-side">\(columns.joined())</div></section>
        """
        return HTML.page("Compare \(paths.count) runs", body: body)
    }

    /// A grid with a slider over every step written; audio runs get the step's player.
    /// With `live`, the run whose new grids the page's script fetches while it trains.
    private func gridViewer(_ grids: [GridEntry], id: String, slider: Bool = true, clips: Int = 0, live: String? = nil) -> String {
        guard let last = grids.last else { return "<p>No sample grids yet.</p>" }
        let players = (0..<clips).map {
            "<span class=\"clip\">clip \($0) <audio controls preload=\"none\" data-index=\"\($0)\" src=\"/clip?path=\(HTML.query(last.audio!))&amp;index=\($0)\"></audio></span>"
        }
        let audio = last.audio.map {
            "<div class=\"players\"><p>all clips: <audio controls preload=\"none\" class=\"joined\" src=\"/file?path=\(HTML.query($0))\"></audio></p><div class=\"clips\">\(players.joined())</div></div>"
        } ?? ""
        let control = slider ? """
            <label>step <input type="range" class="grid-slider" min="0" max="\(grids.count - 1)" value="\(grids.count - 1)"></label>
            <span class="grid-step">\(last.step)</span>
            """ : ""
        return """
        <div class="grid-viewer" id="\(id)"\(live.map { " data-live=\"\(HTML.escape($0))\"" } ?? "")><script type="application/json" class="grid-list">\(HTML.json(grids))</script>
        \(control)<div class="viewer-body"><div><img class="grid" src="/file?path=\(HTML.query(last.image))" alt="samples at step \(last.step)"></div>\(audio)</div></div>
        """
    }
}

/// One sample grid as the page's script sees it.
struct GridEntry: Codable {
    var step: Int
    var image: String
    var audio: String?
}
