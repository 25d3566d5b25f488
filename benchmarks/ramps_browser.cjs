// The browser half of bench_ramps_ui.py: drives JupyterLab in headless Chromium, prints JSON.
const { chromium } = require('@playwright/test');

const base = process.env.BENCH_BASE;
const token = process.env.BENCH_TOKEN;
const runs = Number(process.env.BENCH_RUNS);
const file = process.env.BENCH_FILE;
const pixel = JSON.parse(process.env.BENCH_PIXEL);

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${base}/lab?token=${token}`);
  await page.waitForFunction(() => window.jupyterapp && window.jupyterapp.commands.hasCommand('roman-lab:ramps'), null, { timeout: 60000 });
  const docId = await page.evaluate(async file => {
    const doc = await window.jupyterapp.commands.execute('docmanager:open', { path: file, factory: 'Roman Viewer' });
    while (doc.content.node.dataset.ready !== 'complete') {
      await new Promise(r => setTimeout(r, 100));
    }
    return doc.id;
  }, file);
  await page.click(`#${docId} canvas`, { position: { x: 10, y: 10 } }); // the viewer gets the focus, as a user's click gives it
  if (!(await page.evaluate(() => window.jupyterapp.commands.isEnabled('roman-lab:ramps')))) {
    throw new Error('the Roman viewer did not become the current one');
  }
  const result = await page.evaluate(
    async ({ runs, pixel }) => {
      const app = window.jupyterapp;
      const doc = app.shell.currentWidget;
      doc.content.circles.add(pixel.x, pixel.y, 20);
      const out = { times: [], request: [], browser: navigator.userAgent.match(/Chrome\/(\S+)/)[1] };
      const original = window.fetch;
      let requestMs = 0;
      window.fetch = async (...args) => {
        const t0 = performance.now();
        const response = await original(...args);
        if (String(args[0].url ?? args[0]).includes('/roman-lab/api/ramps')) {
          await response.clone().arrayBuffer();
          requestMs = performance.now() - t0;
        }
        return response;
      };
      for (let i = 0; i < runs; i++) {
        app.shell.activateById(doc.id);
        const t0 = performance.now();
        await app.commands.execute('roman-lab:ramps');
        await new Promise(r => requestAnimationFrame(r));
        out.times.push(performance.now() - t0);
        out.request.push(requestMs);
        const tab = document.querySelector('.jp-RomanRamps');
        if (!tab || tab.dataset.state !== 'ready') {
          throw new Error(`the ramp panel did not draw: ${tab && tab.textContent} ${document.querySelector('.Toastify')?.textContent} run=${i} notes=${JSON.stringify(Array.from(document.querySelectorAll(".Toastify__toast-body")).map(n => n.textContent))}`);
        }
        const ramps = Array.from(app.shell.widgets('main')).find(w => w.content && w.content.rampSet);
        out.pixels = ramps.content.rampSet.pixels.length;
        out.resultants = ramps.content.rampSet.times.length;
        ramps.close();
      }
      window.fetch = original;
      return out;
    },
    { runs, pixel }
  );
  console.log(JSON.stringify(result));
  await browser.close();
})();
