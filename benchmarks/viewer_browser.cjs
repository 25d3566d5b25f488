// The browser half of bench_viewer.py: drives JupyterLab in headless Chromium, prints JSON.
const { chromium } = require('@playwright/test');

const base = process.env.BENCH_BASE;
const token = process.env.BENCH_TOKEN;
const files = JSON.parse(process.env.BENCH_FILES);
// between two opens (ms): with a few seconds, the previous file's conversion is complete first
const pause = Number(process.env.BENCH_PAUSE_MS || 0);

/**
 * ms from the "Open" command to the first frame with image tiles drawn, and where that time
 * went: the viewer's marks (src/viewer/marks.ts), the page's requests (resource timing, with
 * the server's Server-Timing) and its long tasks, all in ms after "Open".
 */
function openAndTime(page, path) {
  return page.evaluate(async path => {
    const app = window.jupyterapp;
    performance.clearMarks();
    performance.clearResourceTimings();
    performance.setResourceTimingBufferSize(10000);
    const longTasks = [];
    const observer = new PerformanceObserver(list => longTasks.push(...list.getEntries()));
    observer.observe({ type: 'longtask' });
    const t0 = performance.now();
    const widget = await app.commands.execute('docmanager:open', { path, factory: 'Roman Viewer' });
    for (;;) {
      const canvas = widget.node.querySelector('canvas');
      if (canvas && Number(canvas.dataset.tiles) > 0) {
        const ms = performance.now() - t0;
        observer.disconnect();
        const at = t => Math.round((t - t0) * 10) / 10;
        const marks = performance.getEntriesByType('mark').filter(m => m.name.startsWith('roman-lab:'))
          .map(m => ({ name: m.name.slice(10), at: at(m.startTime), detail: m.detail }));
        const requests = performance.getEntriesByType('resource').filter(r => r.startTime >= t0).map(r => ({
          url: r.name.replace(location.origin, ''), start: at(r.startTime), sent: at(r.requestStart),
          first_byte: at(r.responseStart), end: at(r.responseEnd), bytes: r.encodedBodySize,
          server: Object.fromEntries((r.serverTiming || []).map(t => [t.name, t.duration]))
        }));
        const tasks = longTasks.map(t => ({ start: at(t.startTime), ms: Math.round(t.duration) }));
        return { ms, marks, requests, tasks };
      }
      await new Promise(r => requestAnimationFrame(r));
    }
  }, path);
}

const closeAll = page => page.evaluate(() => window.jupyterapp.commands.execute('application:close-all'));

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM,
    args: ['--no-sandbox', ...(process.env.BENCH_GPU ? [] : ['--disable-gpu']), '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--enable-precise-memory-info']
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${base}/lab?token=${token}`);
  await page.waitForSelector('.jp-DirListing-item', { state: 'attached', timeout: 60000 });
  await page.waitForFunction(() => window.jupyterapp && window.jupyterapp.commands.hasCommand('roman-lab:open'), null, { timeout: 60000 });
  const result = await page.evaluate(() => {
    const gl = document.createElement('canvas').getContext('webgl2');
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    return {
      renderer: ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER),
      browser: navigator.userAgent.match(/Chrome\/(\S+)/)[1],
      cold: [], warm: [], naive: [], waterfall: { cold: [], warm: [] }
    };
  });
  for (const f of files) {
    result.naive.push(await page.evaluate(async url => {
      const t0 = performance.now();
      await (await fetch(url)).arrayBuffer();
      return performance.now() - t0;
    }, `${base}/files/${f}`));
  }
  for (const pass of ['cold', 'warm']) {
    for (const f of files) {
      await page.waitForTimeout(pause);
      const opened = await openAndTime(page, f);
      result[pass].push(opened.ms);
      result.waterfall[pass].push(opened);
      await closeAll(page);
    }
  }

  await openAndTime(page, files[0]);
  await page.waitForSelector('.jp-RomanViewer[data-ready="complete"]', { timeout: 60000 });
  // pan across the whole image at 1:1 (every full-resolution chunk once), then read the heap
  result.heap_mb = await page.evaluate(async () => {
    const view = window.jupyterapp.shell.currentWidget.content.imageView;
    const [ny, nx] = view.imageShape;
    for (let y = 256; y < ny; y += 512) {
      for (let x = 256; x < nx; x += 512) {
        view.setView(x, y, 1);
        const until = performance.now() + 3000;
        while (performance.now() < until) {
          await new Promise(r => setTimeout(r, 30));
          if (view.cache.inflight.size === 0) break;
        }
      }
    }
    if (window.gc) window.gc();
    return performance.memory ? performance.memory.usedJSHeapSize / 1e6 : NaN;
  });
  // frame time while panning and zooming with the chunks resident (the centre of the image at 2x)
  Object.assign(result, await page.evaluate(async () => {
    const view = window.jupyterapp.shell.currentWidget.content.imageView;
    const [ny, nx] = view.imageShape;
    view.setView(nx / 2, ny / 2, 2);
    await new Promise(r => setTimeout(r, 3000));
    const draw = [];
    const interval = [];
    const original = view.draw.bind(view);
    view.draw = () => {
      const t0 = performance.now();
      original();
      draw.push(performance.now() - t0);
    };
    let last = null;
    for (let i = 0; i < 240; i++) {
      const t = await new Promise(r => requestAnimationFrame(r));
      if (last !== null) interval.push(t - last);
      last = t;
      const phase = i / 240;
      view.setView(nx / 2 + 60 * Math.sin(6.283 * phase * 2), ny / 2 + 40 * Math.cos(6.283 * phase * 2), 2 * (1 + 0.5 * Math.sin(6.283 * phase)));
    }
    view.draw = original;
    return { draw, interval };
  }));
  console.log(JSON.stringify(result));
  await browser.close();
})();
