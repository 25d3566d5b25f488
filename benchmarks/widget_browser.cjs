// The browser half of bench_widget_browser.py: roman_lab.Viewer in notebooks of a real JupyterLab
// in headless Chromium. Progress on stderr, one `RESULT <json>` line on stdout at the end.
const { chromium } = require('@playwright/test');

const base = process.env.BENCH_BASE;
const token = process.env.BENCH_TOKEN;
const cfg = JSON.parse(process.env.BENCH_CONFIG);
// cfg: { paths: [absolute], state: absolute path, drags, restores, loads, n, viewer_import: the Python line giving `Viewer` }

const log = msg => console.error(`[widget ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const py = s => JSON.stringify(s); // a Python string literal (JSON strings are valid Python)

/** Helpers installed in the page: notebooks, kernel execution, timing a cell until the widget draws. */
function installHelpers() {
  const app = window.jupyterapp;
  const B = (window.__bench = { panels: {} });

  B.newNotebook = async () => {
    const panel = await app.commands.execute('notebook:create-new', { kernelName: 'python3' });
    await panel.context.ready;
    await panel.sessionContext.ready;
    for (let i = 0; i < 600 && !panel.sessionContext.session?.kernel; i++) {
      await new Promise(r => setTimeout(r, 50));
    }
    await panel.sessionContext.session.kernel.info;
    B.panels[panel.id] = panel;
    return panel.id;
  };

  B.close = async id => {
    const panel = B.panels[id];
    delete B.panels[id];
    await panel.sessionContext.shutdown();
    panel.context.model.dirty = false;
    panel.dispose();
  };

  /** Runs code in the notebook's kernel (no cell); its stdout, or throws its error. */
  B.exec = async (id, code) => {
    const kernel = B.panels[id].sessionContext.session.kernel;
    let out = '';
    let error = '';
    const future = kernel.requestExecute({ code, store_history: false });
    future.onIOPub = msg => {
      if (msg.header.msg_type === 'stream') out += msg.content.text;
      if (msg.header.msg_type === 'error') error = `${msg.content.ename}: ${msg.content.evalue}`;
    };
    const reply = await future.done;
    if (reply.content.status !== 'ok') throw new Error(`kernel: ${error}`);
    return out;
  };

  /** Puts code in a new last cell (or the first, empty one) and makes it the only selected cell. */
  B.setCell = (id, code) => {
    const panel = B.panels[id];
    const nb = panel.content;
    const model = nb.model;
    let index = model.cells.length;
    if (index === 1 && model.cells.get(0).sharedModel.getSource() === '') {
      index = 0;
      model.cells.get(0).sharedModel.setSource(code);
    } else {
      model.sharedModel.insertCell(index, { cell_type: 'code', source: code });
    }
    app.shell.activateById(panel.id);
    nb.activeCellIndex = index;
    nb.deselectAll();
    return index;
  };

  /** The text of a cell's stream outputs. */
  B.cellText = (id, index) => {
    const outputs = B.panels[id].content.model.cells.get(index).outputs.toJSON();
    return outputs.map(o => (o.output_type === 'stream' ? o.text : o.output_type === 'error' ? `ERROR ${o.ename}: ${o.evalue}` : '')).join('');
  };

  /**
   * Runs the cell `index` and times (ms from the run) the widget in the output of cell `watch`: element shown,
   * first frame with pixels, the image on screen complete, all `n` images added and all blinkable.
   * Attribute changes are seen by a MutationObserver (a microtask after draw() writes them).
   */
  B.timeCell = (id, index, watch, n, firstId, timeoutMs) => {
    const panel = B.panels[id];
    const trace = [];
    let lastState = '';
    const cellNode = panel.content.widgets[watch].node;
    return new Promise((resolve, reject) => {
      const t = {};
      let t0 = 0;
      const now = () => performance.now() - t0;
      const check = () => {
        const root = cellNode.querySelector('.roman-widget');
        const canvas = root?.querySelector('canvas.jp-RomanImageView-canvas');
        if (root && t.widget === undefined) t.widget = now();
        if (!canvas) return;
        const tiles = Number(canvas.dataset.tiles ?? 0);
        const mine = firstId === null || canvas.dataset.current === firstId;
        const state = `tiles=${canvas.dataset.tiles} pending=${canvas.dataset.pending} current=${canvas.dataset.current} frames=${canvas.dataset.frames} ready=${root.dataset.ready} stackReady=${canvas.dataset.stackReady}`;
        if (state !== lastState) {
          lastState = state;
          if (trace.length < 400) trace.push(`${now().toFixed(0)} ${state}`);
        }
        if (tiles > 0 && t.firstAny === undefined) t.firstAny = now();
        if (tiles > 0 && mine && t.first === undefined) t.first = now();
        if (tiles > 0 && mine && canvas.dataset.pending === '0' && t.complete === undefined) t.complete = now();
        if (Number(root.dataset.ready ?? 0) >= n && t.added === undefined) t.added = now();
        if (Number(canvas.dataset.stackReady ?? 0) >= n && t.all === undefined) t.all = now();
        if (root.dataset.errors && t.error === undefined) t.error = root.querySelector('.roman-widget-error')?.textContent;
        if (t.all !== undefined && t.complete !== undefined && t.reply !== undefined) finish();
      };
      const observer = new MutationObserver(check);
      let timer = 0;
      const finish = () => {
        observer.disconnect();
        clearTimeout(timer);
        const requests = performance
          .getEntriesByType('resource')
          .filter(e => e.name.includes('/roman-lab/') && e.startTime >= t0 && e.startTime - t0 <= (t.first ?? Infinity))
          	.map(e => `${(e.startTime - t0).toFixed(0)}-${(e.responseEnd - t0).toFixed(0)} ${e.responseStatus ?? ''} ${e.name.replace(/^.*\/roman-lab\//, '').replace(/\?.*/, '')}`);
        resolve({ ...t, requests, trace, canvas: (() => {
          const c = cellNode.querySelector('canvas.jp-RomanImageView-canvas');
          return c ? { ...c.dataset } : null;
        })() });
      };
      observer.observe(cellNode, { subtree: true, childList: true, attributes: true });
      timer = setTimeout(() => {
        t.timedOut = true;
        finish();
      }, timeoutMs);
      performance.clearResourceTimings();
      t0 = performance.now();
      app.commands.execute('notebook:run-cell').then(
        () => {
          t.reply = now();
          check();
        },
        reject
      );
    });
  };
}

async function newLab(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  const seen404 = new Set();
  page.on('response', response => {
    const key = response.url().replace(/\?.*/, '').replace(/[0-9a-f]{16}/g, 'ID');
    if (response.status() >= 400 && !seen404.has(key)) {
      seen404.add(key);
      log(`HTTP ${response.status()} ${response.request().method()} ${response.url().replace(/\?.*/, '')}`);
    }
  });
  page.on('pageerror', error => log(`page error: ${error.message}`));
  page.on('console', msg => {
    if ((msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) || msg.type() === 'warning') log(`console ${msg.type()}: ${msg.text().slice(0, 300)}`);
  });
  await page.goto(`${base}/lab?token=${token}`);
  await page.waitForSelector('.jp-DirListing-item', { state: 'attached', timeout: 120000 });
  await page.waitForFunction(() => window.jupyterapp && window.jupyterapp.commands.hasCommand('notebook:create-new'), null, { timeout: 120000 });
  await page.evaluate(installHelpers);
  // every restore fetches its chunks from the server, as a browser that never saw them would
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  return { context, page };
}

const exec = (page, id, code) => page.evaluate(([id, code]) => window.__bench.exec(id, code), [id, code]);

async function runCell(page, id, code) {
  const index = await page.evaluate(([id, code]) => window.__bench.setCell(id, code), [id, code]);
  const t0 = Date.now();
  await page.evaluate(() => window.jupyterapp.commands.execute('notebook:run-cell'));
  const ms = Date.now() - t0;
  const text = await page.evaluate(([id, index]) => window.__bench.cellText(id, index), [id, index]);
  if (text.includes('ERROR')) throw new Error(`cell failed: ${text}`);
  return { ms, text, index };
}

/** A real drag with the Circle tool from the canvas centre: press, 8 moves >= 16 ms apart, release at once. */
async function drawCircle(page, canvas, i) {
  const box = await canvas.boundingBox();
  const cx = box.x + box.width / 2 + ((i % 5) - 2) * 7;
  const cy = box.y + box.height / 2;
  await page.evaluate(() => {
    window.__up = null;
    window.__move = null;
    window.addEventListener('pointerup', () => (window.__up = Date.now()), { capture: true, once: true });
    window.__onMove = e => {
      if (e.buttons) window.__move = Date.now();
    };
    window.addEventListener('pointermove', window.__onMove, { capture: true });
  });
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  for (let k = 1; k <= 8; k++) {
    if (k > 1) await page.waitForTimeout(16);
    await page.mouse.move(cx + 5 * k + (i % 3), cy + 2 * k);
  }
  await page.mouse.up(); // at once: the last move's circle is the one Python must get
  return page.evaluate(() => {
    window.removeEventListener('pointermove', window.__onMove, { capture: true });
    return { up: window.__up, move: window.__move };
  });
}

const REGIONS_JSON = 'print(json.dumps([[r.center.ra.deg, r.center.dec.deg, r.radius.to_value("arcsec")] for r in v.regions]))';

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  });
  const { page } = await newLab(browser);
  const result = await page.evaluate(() => {
    const gl = document.createElement('canvas').getContext('webgl2');
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    return {
      renderer: ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER),
      browser: navigator.userAgent.match(/Chrome\/(\S+)/)[1]
    };
  });

  result.first_id = cfg.first_id;
  // --- 1. a circle drawn in the widget -> v.regions in the kernel --------------------------------
  log('goal 1: circles');
  const nb = await page.evaluate(() => window.__bench.newNotebook());
  await runCell(
    page,
    nb,
    [
      'import json, time',
      cfg.viewer_import,
      'v = Viewer()',
      `v.load(${py(cfg.paths[0])})`,
      '_log = []',
      "v.observe(lambda change: _log.append((time.time(), [[r.center.ra.deg, r.center.dec.deg, r.radius.to_value('arcsec')] for r in change['new']])), names='regions')",
      'v'
    ].join('\n')
  );
  const widget = page.locator(`[id="${nb}"] .roman-widget`).first();
  const canvas = widget.locator('canvas.jp-RomanImageView-canvas');
  await page.waitForFunction(
    id => {
      const c = document.getElementById(id)?.querySelector('.roman-widget canvas.jp-RomanImageView-canvas');
      return c && Number(c.dataset.tiles) > 0 && c.dataset.pending === '0';
    },
    nb,
    { timeout: 120000 }
  );
  await widget.locator('.roman-widget-circle').click();
  await canvas.scrollIntoViewIfNeeded();
  result.view_size = JSON.parse(await exec(page, nb, 'print(json.dumps(v.view_size))'));
  result.drag_observer = [];
  result.drag_poll = [];
  result.exec_round_trip = [];
  for (const method of ['observer', 'poll']) {
    for (let i = 0; i < cfg.drags; i++) {
      await exec(page, nb, 'v.regions = []\n_log.clear()');
      await page.waitForFunction(id => document.getElementById(id)?.querySelector('.roman-widget')?.dataset.circles === '0', nb);
      await canvas.scrollIntoViewIfNeeded();
      const { up, move } = await drawCircle(page, canvas, i);
      const sample = { up, move };
      if (method === 'poll') {
        // execute `v.regions` from the page until it stops changing (400 ms after the release)
        const polls = await page.evaluate(
          async ([id, code, up]) => {
            const out = [];
            while (Date.now() - up < 400) {
              const sent = Date.now();
              const text = await window.__bench.exec(id, code);
              out.push({ sent, at: Date.now(), value: text.trim() });
            }
            return out;
          },
          [nb, REGIONS_JSON, up]
        );
        const final = polls[polls.length - 1].value;
        const firstFinal = polls.find(p => p.value === final);
        sample.up_to_poll = firstFinal.at - up;
        sample.polls = polls.length;
        for (const p of polls) result.exec_round_trip.push(p.at - p.sent);
        if (JSON.parse(final).length !== 1) throw new Error(`the kernel holds ${final} after the drag`);
      } else {
        await page.waitForTimeout(400);
      }
      const seen = JSON.parse(await exec(page, nb, 'print(json.dumps(_log))'));
      if (seen.length === 0 || seen[seen.length - 1][1].length !== 1) {
        throw new Error(`the kernel saw ${JSON.stringify(seen)}`);
      }
      const last = seen[seen.length - 1][0] * 1000;
      sample.up_to_kernel = last - up;
      sample.move_to_kernel = last - move;
      sample.changes = seen.length;
      result[`drag_${method}`].push(sample);
      log(`${method} ${i}: up->kernel ${sample.up_to_kernel.toFixed(1)} ms, last move->kernel ${sample.move_to_kernel.toFixed(1)} ms` +
        (sample.up_to_poll !== undefined ? `, up->cell ${sample.up_to_poll} ms` : '') + `, ${seen.length} changes`);
    }
  }
  await page.evaluate(id => window.__bench.close(id), nb);

  // --- 2. restore the 50-exposure state in a fresh kernel -----------------------------------------
  // 'imported': roman_lab imported in a first, untimed cell; 'cold': import and restore in one cell
  result.restores = [];
  result.cold_restores = [];
  for (let i = 0; i < cfg.restores; i++) {
    for (const mode of ['imported', 'cold']) {
      const id = await page.evaluate(() => window.__bench.newNotebook());
      const imp = mode === 'imported' ? await runCell(page, id, `import roman_lab\n${cfg.viewer_import}`) : null;
      const code = `${mode === 'cold' ? `${cfg.viewer_import}\n` : ''}v = Viewer.from_state(${py(cfg.state)})\nv`;
      const index = await page.evaluate(([id, code]) => window.__bench.setCell(id, code), [id, code]);
      const t = await page.evaluate(
        ([id, index, n, first]) => window.__bench.timeCell(id, index, index, n, first, 180000),
        [id, index, cfg.n, cfg.first_id]
      );
      if (imp) t.import = imp.ms;
      // the state's image on screen is images[current]: did the widget show it, and is Python's `current` still that?
      t.shown = t.canvas?.current ?? null;
      t.python_current = Number(await exec(page, id, 'print(v.current)'));
      (mode === 'cold' ? result.cold_restores : result.restores).push(t);
      log(`restore ${i} ${mode}: ${JSON.stringify({ ...t, requests: t.requests.length, trace: t.trace.length, canvas: undefined })}`);
      await page.evaluate(id => window.__bench.close(id), id);
    }
  }

  // --- the same state, its images[0] not converted yet (its conversion ends after the others are in) ---
  {
    const id = await page.evaluate(() => window.__bench.newNotebook());
    await runCell(page, id, `import roman_lab\n${cfg.viewer_import}`);
    const index = await page.evaluate(([id, code]) => window.__bench.setCell(id, code), [id, `v = Viewer.from_state(${py(cfg.state_first_unconverted)})\nv`]);
    const t = await page.evaluate(
      ([id, index, n, first]) => window.__bench.timeCell(id, index, index, n, first, 180000),
      [id, index, cfg.n, cfg.first_unconverted_id]
    );
    t.shown = t.canvas?.current ?? null;
    t.python_current = Number(await exec(page, id, 'print(v.current)'));
    result.first_unconverted = t;
    result.first_unconverted_id = cfg.first_unconverted_id;
    log(`first unconverted: ${JSON.stringify({ ...t, requests: t.requests.length, trace: t.trace.length, canvas: undefined })}`);
    await page.evaluate(id => window.__bench.close(id), id);
  }

  // --- v.load(paths) of 50 into a displayed, empty viewer ------------------------------------------
  result.loads = [];
  for (let i = 0; i < cfg.loads; i++) {
    const id = await page.evaluate(() => window.__bench.newNotebook());
    await runCell(page, id, ['import time', cfg.viewer_import, `paths = ${py(cfg.paths)}`, 'v = Viewer()', 'v'].join('\n'));
    await page.waitForSelector(`[id="${id}"] .roman-widget`);
    const index = await page.evaluate(
      ([id, code]) => window.__bench.setCell(id, code),
      [id, 't0 = time.perf_counter()\nv.load(paths)\nprint((time.perf_counter() - t0) * 1000)']
    );
    const t = await page.evaluate(([id, index, n, first]) => window.__bench.timeCell(id, index, index - 1, n, null, 180000), [id, index, cfg.n]);
    t.python_ms = Number(await page.evaluate(([id, index]) => window.__bench.cellText(id, index), [id, index]));
    result.loads.push(t);
    log(`load ${i}: ${JSON.stringify({ ...t, requests: t.requests.length, trace: t.trace.length, canvas: undefined })}`);
    await page.evaluate(id => window.__bench.close(id), id);
  }

  console.log(`RESULT ${JSON.stringify(result)}`);
  await browser.close();
})().catch(error => {
  console.error(error);
  process.exit(1);
});
