import Foundation
import StudioTraining

/// The form that samples a checkpoint, and the page that follows its job.
struct SamplePages {
    let folder: RunsFolder

    /// The form for the checkpoint at `path`, with the options its family takes.
    func form(path: String, error: String? = nil) -> String {
        let url = folder.resolve(path)!
        let family = (try? RunFiles(SampleQueue.runDirectory(of: url)!).recipe().family) ?? "gan"
        let diffusion = family == "diffusion"
        let diffusionFields = diffusion ? """
            <label>sampler <select name="sampler"><option value="">ddim (default)</option><option>ddpm</option><option>ddim</option><option>dpm++2m</option></select></label>
            <label>denoising steps <input name="denoising_steps" type="number" min="1" max="\(SampleRequest.maximumSteps)" placeholder="sampler's default"></label>
            <label>eta (DDIM) <input name="eta" type="number" min="0" max="1" step="0.1" placeholder="0"></label>
            <label>guidance <input name="guidance" type="number" min="0" max="20" step="0.5" placeholder="3 (conditional models)"></label>
            <label><input name="no_ema" type="checkbox"> trained weights instead of their average</label>
            """ : """
            <label>interpolation points <input name="interpolate" type="number" min="2" max="\(SampleRequest.maximumInterpolation)" placeholder="none"></label>
            <label><input name="no_ema" type="checkbox"> trained weights instead of their average (GANs with model.ema_decay)</label>
            """
        let body = """
        \(error.map { "<p class=\"error\">\(HTML.escape($0))</p>" } ?? "")
        <p>The same options as <code>genstudio sample \(HTML.escape(path))</code>; the output is written under the run's <code>studio-samples/</code>.</p>
        <form class="sample" method="post" action="/sample"><input type="hidden" name="path" value="\(HTML.escape(path))">
        <label>count <input name="count" type="number" min="1" max="\(SampleRequest.maximumCount)" value="16"></label>
        <label>seed <input name="seed" type="number" min="0" value="0"></label>
        <label>classes <input name="classes" placeholder="e.g. 3 or 0,3,7 (conditional models)"></label>
        \(diffusionFields)
        <label>format <select name="format"><option value="png">PNG grid</option><option value="wav">WAV (audio models)</option>
        <option value="idx">IDX</option><option value="safetensors">safetensors</option></select></label>
        <button id="sample-button">Sample</button></form>
        """
        return HTML.page("Sample \(path)", body: body)
    }

    /// The page of job `id`, which follows it until it ends and then shows what it wrote.
    func job(_ status: SampleJobStatus) -> String {
        let body = """
        <div id="job" data-id="\(status.id)"><p>state: <span class="job-state">\(status.state.rawValue)</span>
        <span class="job-progress"></span></p><p class="job-message">\(HTML.escape(status.message))</p><div class="job-result"></div></div>
        """
        return HTML.page("Sample job \(status.id)", body: body)
    }
}
