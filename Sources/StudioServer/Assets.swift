/// The page's style sheet and script, served by the binary itself (no CDN, nothing to install).
enum Assets {
    static let css = """
    body { font-family: system-ui, sans-serif; margin: 0; color: #1d232a; background: #f6f7f9; }
    nav { background: #1d232a; padding: 0.6em 1em; } nav a { color: #e8ecf0; margin-right: 1.4em; text-decoration: none; }
    nav a.brand { font-weight: 700; } main { padding: 1em 1.5em; } h1 { font-size: 1.4em; word-break: break-all; }
    table { border-collapse: collapse; background: white; } th, td { border-bottom: 1px solid #e1e5ea; padding: 0.35em 0.6em; text-align: left; vertical-align: top; }
    img.thumb { width: 96px; max-height: 96px; object-fit: cover; object-position: top; image-rendering: pixelated; } img.grid { max-width: 100%; width: 480px; image-rendering: pixelated; }
    .state { padding: 0.1em 0.5em; border-radius: 0.8em; font-size: 0.85em; }
    .state.training { background: #d6f5dc; } .state.finished { background: #dbe8fb; } .state.stopped { background: #f3ecd2; } .state.failed { background: #f8d7d7; }
    .metrics { font-size: 0.85em; font-family: ui-monospace, monospace; } .error { color: #a61b1b; background: #fbe3e3; padding: 0.5em; }
    .chart { background: white; border: 1px solid #e1e5ea; margin: 0.3em 0.6em 0.6em 0; display: inline-block; }
    .chart h4 { margin: 0.3em 0.5em; font-size: 0.9em; } .legend span { margin-right: 1em; font-size: 0.85em; }
    .side-by-side { display: flex; flex-wrap: wrap; gap: 1em; } .side-by-side img.grid { width: 360px; }
    form.sample label { display: block; margin: 0.4em 0; } .viewer-body { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
    .clips { display: flex; flex-direction: column; gap: 0.3em; } .clip { font-size: 0.85em; display: flex; align-items: center; gap: 0.5em; } pre { background: white; padding: 0.8em; overflow-x: auto; border: 1px solid #e1e5ea; }
    table.histogram .bar { background: #6c8ebf; height: 0.9em; min-width: 1px; } table.histogram td:nth-child(2) { width: 240px; }
    table.report th { font-weight: 600; color: #4b5560; } section { margin-bottom: 1.6em; } form.filter, form#compare { display: inline-block; margin: 0 1em 1em 0; }
    """

    static let script = """
    'use strict';
    const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
    function smooth(values, weight) {
      let last = null;
      return values.map(v => { last = last === null ? v : last * weight + (1 - weight) * v; return last; });
    }
    function drawChart(canvas, series, logScale) {
      const ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height, pad = 40;
      ctx.clearRect(0, 0, w, h);
      const points = series.flatMap(s => s.points).filter(p => isFinite(p[1]) && (!logScale || p[1] > 0));
      if (points.length === 0) { ctx.fillText('no values', pad, h / 2); return; }
      const f = v => logScale ? Math.log10(v) : v;
      let x0 = Math.min(...points.map(p => p[0])), x1 = Math.max(...points.map(p => p[0]));
      let y0 = Math.min(...points.map(p => f(p[1]))), y1 = Math.max(...points.map(p => f(p[1])));
      if (x1 === x0) x1 = x0 + 1; if (y1 === y0) { y1 = y0 + 1; y0 = y0 - 1; }
      const X = x => pad + (x - x0) / (x1 - x0) * (w - pad - 10), Y = y => h - 20 - (f(y) - y0) / (y1 - y0) * (h - 30);
      ctx.strokeStyle = '#ccc'; ctx.beginPath(); ctx.moveTo(pad, 10); ctx.lineTo(pad, h - 20); ctx.lineTo(w - 10, h - 20); ctx.stroke();
      ctx.fillStyle = '#555'; ctx.font = '10px sans-serif';
      // Enough decimals to tell the axis ends apart: two more than the range's first significant digit.
      const decimals = Math.min(8, Math.max(0, 2 - Math.floor(Math.log10(y1 - y0))));
      const label = v => logScale ? '1e' + v.toFixed(2) : v.toFixed(decimals);
      ctx.fillText(label(y1), 2, 14); ctx.fillText(label((y0 + y1) / 2), 2, (h - 10) / 2); ctx.fillText(label(y0), 2, h - 22); ctx.fillText(String(x0), pad, h - 6); ctx.fillText(String(x1), w - 40, h - 6);
      series.forEach(s => {
        ctx.strokeStyle = s.color; ctx.beginPath(); let started = false;
        s.points.forEach(p => { if (!isFinite(p[1]) || (logScale && p[1] <= 0)) return;
          if (started) ctx.lineTo(X(p[0]), Y(p[1])); else { ctx.moveTo(X(p[0]), Y(p[1])); started = true; } });
        ctx.stroke();
      });
    }
    async function setUpCharts(holder) {
      const runs = JSON.parse(holder.dataset.runs), live = holder.dataset.live === 'true';
      const smoothing = document.getElementById('smoothing'), logScale = document.getElementById('logscale');
      let data = [];
      async function load() {
        data = await Promise.all(runs.map(async path => {
          const response = await fetch('/api/metrics?path=' + encodeURIComponent(path));
          return response.ok ? (await response.json()).rows : [];
        }));
        render();
      }
      function render() {
        const names = [...new Set(data.flatMap(rows => rows.flatMap(r => Object.keys(r.values))))].sort();
        holder.innerHTML = '';
        names.forEach(name => {
          const box = document.createElement('div'); box.className = 'chart';
          box.innerHTML = '<h4></h4><canvas width="420" height="220"></canvas><div class="legend"></div>';
          box.querySelector('h4').textContent = name;
          const series = data.map((rows, i) => {
            const kept = rows.filter(r => name in r.values);
            const ys = smooth(kept.map(r => r.values[name]), Number(smoothing.value));
            return { color: colors[i % colors.length], points: kept.map((r, k) => [r.step, ys[k]]) };
          });
          if (runs.length > 1) runs.forEach((run, i) => { const s = document.createElement('span'); s.style.color = colors[i % colors.length]; s.textContent = run; box.querySelector('.legend').appendChild(s); });
          drawChart(box.querySelector('canvas'), series, logScale.checked);
          holder.appendChild(box);
        });
      }
      smoothing.addEventListener('input', render); logScale.addEventListener('change', render);
      await load();
      if (live) setInterval(load, 5000);
    }
    function setUpGrid(viewer) {
      let list = JSON.parse(viewer.querySelector('.grid-list').textContent);
      const image = viewer.querySelector('img.grid'), audio = viewer.querySelector('audio.joined'), label = viewer.querySelector('.grid-step');
      viewer.show = index => {
        const entry = list[Math.max(0, Math.min(list.length - 1, index))]; if (!entry) return;
        image.src = '/file?path=' + encodeURIComponent(entry.image); image.alt = 'samples at step ' + entry.step;
        if (label) label.textContent = entry.step;
        if (audio && entry.audio) audio.src = '/file?path=' + encodeURIComponent(entry.audio);
        if (entry.audio) viewer.querySelectorAll('.clips audio').forEach(a => { a.src = '/clip?path=' + encodeURIComponent(entry.audio) + '&index=' + a.dataset.index; });
      };
      const slider = viewer.querySelector('.grid-slider');
      if (slider) slider.addEventListener('input', () => viewer.show(Number(slider.value)));
      // While the run trains, new grids join the slider; one looking at the newest follows them.
      if (viewer.dataset.live && slider) setInterval(async () => {
        const response = await fetch('/api/grids?path=' + encodeURIComponent(viewer.dataset.live));
        if (!response.ok) return;
        const grids = await response.json();
        if (grids.length === list.length) return;
        const atEnd = Number(slider.value) === list.length - 1;
        list = grids;
        slider.max = String(list.length - 1);
        if (atEnd) { slider.value = slider.max; viewer.show(list.length - 1); }
      }, 5000);
    }
    async function followJob(box) {
      const id = box.dataset.id;
      const response = await fetch('/api/job?id=' + id);
      if (!response.ok) return;
      const job = await response.json();
      box.querySelector('.job-state').textContent = job.state;
      box.querySelector('.job-progress').textContent = job.total > 0 ? job.done + ' / ' + job.total + ' steps' : '';
      box.querySelector('.job-message').textContent = job.message;
      if (job.state === 'done') {
        const link = '/file?path=' + encodeURIComponent(job.output);
        const result = box.querySelector('.job-result');
        result.innerHTML = job.format === 'png' ? '<img class="grid" alt="samples">' : job.format === 'wav' ? '<audio controls></audio><br><img class="grid" alt="clips">' : '';
        if (job.format === 'png') result.querySelector('img').src = link;
        if (job.format === 'wav') { result.querySelector('audio').src = link; result.querySelector('img').src = link.replace(/\\.wav$/, '.png'); }
        const a = document.createElement('a'); a.href = link + '&download=1'; a.textContent = 'download ' + job.output; a.className = 'download';
        result.appendChild(document.createElement('br')); result.appendChild(a);
      } else if (job.state !== 'failed') setTimeout(() => followJob(box), 700);
    }
    document.querySelectorAll('#charts').forEach(setUpCharts);
    document.querySelectorAll('.grid-viewer').forEach(setUpGrid);
    document.querySelectorAll('.shared-slider').forEach(slider => slider.addEventListener('input', () => {
      document.querySelectorAll('.grid-viewer').forEach(v => v.show(Number(slider.value)));
      const first = document.querySelector('.grid-viewer');
      document.querySelector('.shared-step').textContent = 'step ' + JSON.parse(first.querySelector('.grid-list').textContent)[Number(slider.value)].step;
    }));
    document.querySelectorAll('#job').forEach(followJob);
    """
}
