// The browser half of bench_blink.py: drives JupyterLab in headless Chromium through the phases
// of the blink benchmark. Prints `PHASE <name>` lines as it goes (bench_blink.py tags its samples
// of the server's memory with them) and one `RESULT <json>` line at the end.
const fs = require('fs');
const { chromium } = require('@playwright/test');

const base = process.env.BENCH_BASE;
const token = process.env.BENCH_TOKEN;
const cfg = JSON.parse(process.env.BENCH_CONFIG);
// cfg: { reference, others: [paths], center: [x, y], zoom, naive: [paths], timeoutS, blinkSwitches, smallCacheMB: [MiB] }

const phase = name => console.log(`PHASE ${name}`);
const log = msg => console.error(`[blink ${new Date().toISOString().slice(11, 19)}] ${msg}`);

/** PSS and RSS (MiB) of Chromium's processes (descendants of this node process), by type, from /proc (Linux). */
function browserMemory(rootPid) {
  const children = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // gone
    }
  }
  const out = { total: { pss: 0, rss: 0 } };
  const todo = [rootPid];
  while (todo.length) {
    const pid = todo.pop();
    todo.push(...(children.get(pid) ?? []));
    try {
      const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const kb = key => Number((rollup.match(new RegExp(`^${key}:\\s+(\\d+)`, 'm')) ?? [0, 0])[1]);
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!/chrom/i.test(cmd.split('\0')[0])) continue; // node itself
      const type = (cmd.match(/--type=([\w-]+)/) ?? [null, 'browser'])[1];
      out[type] = out[type] ?? { pss: 0, rss: 0 };
      for (const bucket of [out[type], out.total]) {
        bucket.pss += kb('Pss') / 1024;
        bucket.rss += kb('Rss') / 1024;
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** A fresh browser context (its own HTTP cache) on a workspace of its own, the Roman panel shown. */
async function newLab(browser, workspace) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // count requests by kind (chunk GETs, store metadata, conversion polls): installed before the app loads
  await context.addInitScript(() => {
    window.__requests = {};
    const original = window.fetch;
    window.fetch = function (input, init) {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const kind = /\/roman-lab\/stores\/[^/]+\//.test(url)
        ? /zarr\.json/.test(url) ? 'store metadata' : 'store chunk'
        : /\/roman-lab\/api\/stores/.test(url)
          ? 'conversion start/poll'
          : /\/roman-lab\//.test(url) ? 'other roman-lab' : 'other';
      window.__requests[kind] = (window.__requests[kind] ?? 0) + 1;
      return original.call(this, input, init);
    };
  });
  const page = await context.newPage();
  page.on('pageerror', error => log(`page error: ${error.message}`));
  await page.goto(`${base}/lab/workspaces/${workspace}?token=${token}`);
  await page.waitForSelector('.jp-DirListing-item', { state: 'attached', timeout: 120000 });
  await page.waitForFunction(() => window.jupyterapp && window.jupyterapp.commands.hasCommand('roman-lab:open'), null, { timeout: 120000 });
  await page.evaluate(() => window.jupyterapp.shell.activateById('roman-lab-sidebar'));
  return { context, page };
}

/** Opens the reference viewer, waits for its complete store, sets the blink view; ms to complete. */
function openReference(page, path, center, zoom) {
  return page.evaluate(
    async ({ path, center, zoom }) => {
      const app = window.jupyterapp;
      const t0 = performance.now();
      const widget = await app.commands.execute('docmanager:open', { path, factory: 'Roman Viewer' });
      // the viewer's state is on the content's node (the RomanViewerWidget), not the document widget's
      while (widget.content.node.dataset.ready !== 'complete') {
        if (widget.content.node.dataset.ready === 'error') throw new Error(widget.content.node.textContent);
        await new Promise(r => setTimeout(r, 20));
      }
      const openMs = performance.now() - t0;
      window.__widget = widget;
      const view = widget.content.imageView;
      view.setView(center[0], center[1], zoom);
      for (let i = 0; i < 3000 && view.canvas.dataset.pending !== '0'; i++) {
        await new Promise(r => setTimeout(r, 20));
      }
      return { openMs, canvas: [view.canvas.width, view.canvas.height], dpr: devicePixelRatio };
    },
    { path, center, zoom }
  );
}

/**
 * addImages(others) and poll until every image is in the stack, has its full-resolution
 * level (its conversion complete) and is ready (all chunks of the view resident). `requireAll`
 * false: stop when nothing moves any more (the cache cannot hold them all).
 */
function addAndWait(page, others, timeoutS, requireAll) {
  return page.evaluate(
    async ({ others, timeoutS, requireAll }) => {
      const widget = window.__widget;
      const view = widget.content.imageView;
      const total = others.length + 1;
      const before = { ...window.__requests };
      // main-thread work during the add: long tasks (> 50 ms), and the view's prefetch passes
      const longTasks = [];
      const observer = new PerformanceObserver(list => list.getEntries().forEach(e => longTasks.push(e.duration)));
      observer.observe({ type: 'longtask' });
      const prefetchMs = [];
      const prefetcher = view.prefetcher; // src/viewer/prefetch.ts: one pass fetches ahead for the blink
      const originalPrefetch = prefetcher.pass;
      prefetcher.pass = function () {
        const s = performance.now();
        originalPrefetch.call(this);
        prefetchMs.push(performance.now() - s);
      };
      // inside prefetch: the chunk lists of every image (wantedTiles) and the meshes (meshFor)
      const inner = { wantedTiles: 0, meshFor: 0 };
      const originals = {};
      const owners = { wantedTiles: view, meshFor: view.meshes }; // meshes.ts holds meshFor since the split
      for (const name of Object.keys(inner)) {
        originals[name] = owners[name][name];
        owners[name][name] = function (...a) {
          const s = performance.now();
          try {
            return originals[name].apply(this, a);
          } finally {
            inner[name] += performance.now() - s;
          }
        };
      }
      const t0 = performance.now();
      let resolvedMs = null;
      let added = null;
      widget.content.addImages(others).then(n => {
        resolvedMs = performance.now() - t0;
        added = n;
      });
      const timeline = [];
      let lastSample = -1e9;
      let candidate = null;
      let readyMs = null;
      let allReadyAnyLevelMs = null; // readyCount == total, whatever level each image had then
      let stable = { ready: -1, since: 0 };
      let timedOut = false;
      for (;;) {
        await new Promise(r => setTimeout(r, 50));
        const now = performance.now() - t0;
        const images = view.images;
        const full = images.filter(im => im.levels.length > 0 && im.levels[0].index === 0 && im.store.attrs.complete).length;
        const ready = view.readyCount;
        if (now - lastSample >= 1000) {
          lastSample = now;
          timeline.push({ t: Math.round(now), size: images.length, adding: Number(widget.content.node.dataset.adding ?? 0), full, ready });
        }
        if (allReadyAnyLevelMs === null && images.length === total && ready === total) allReadyAnyLevelMs = now;
        const done = images.length === total && full === total && resolvedMs !== null && ready === total;
        if (done) {
          if (candidate === null) {
            candidate = now;
          } else {
            readyMs = candidate; // confirmed on the next poll (readyCount is computed one frame late)
            break;
          }
        } else {
          candidate = null;
        }
        if (!requireAll && resolvedMs !== null && full === images.length) {
          if (ready !== stable.ready || view.cache.inflight.size > 0) {
            stable = { ready, since: now };
          } else if (now - stable.since > 5000) {
            break;
          }
        }
        if (now > timeoutS * 1000) {
          timedOut = true;
          break;
        }
      }
      const end = performance.now() - t0;
      observer.disconnect();
      prefetcher.pass = originalPrefetch;
      for (const name of Object.keys(inner)) owners[name][name] = originals[name];
      timeline.push({ t: Math.round(end), size: view.images.length, adding: Number(widget.content.node.dataset.adding ?? 0), ready: view.readyCount });
      const plan = Array.from(view.prefetcher.tiles.values(), ({ tiles }) => ({ tiles }));
      const perImageMB = plan.map(p => p.tiles.reduce((n, t) => n + t.bytes, 0) / 2 ** 20);
      const perImageChunks = plan.map(p => p.tiles.length);
      const requests = {};
      for (const [k, v] of Object.entries(window.__requests)) requests[k] = v - (before[k] ?? 0);
      return {
        readyMs,
        allReadyAnyLevelMs,
        resolvedMs,
        added,
        timedOut,
        endMs: end,
        readyCount: view.readyCount,
        stackSize: view.images.length,
        timeline,
        perImageMB,
        perImageChunks,
        longTaskMs: longTasks.reduce((a, b) => a + b, 0),
        longTasks: longTasks.length,
        prefetchTotalMs: prefetchMs.reduce((a, b) => a + b, 0),
        prefetchPasses: prefetchMs.length,
        prefetchMaxMs: Math.max(0, ...prefetchMs),
        wantedTilesTotalMs: inner.wantedTiles,
        meshForTotalMs: inner.meshFor,
        cacheMB: view.cache.entries.bytes / 2 ** 20,
        cacheMaxMB: view.cache.entries.maxBytes / 2 ** 20,
        requests
      };
    },
    { others, timeoutS, requireAll }
  );
}

/**
 * `switches` calls of view.next(), one per animation frame. Per switch: the synchronous cost
 * of next() (stack bookkeeping, the widget's and sidebar's listeners), the view's draw() of
 * the first frame after it (view.frameTimes), the prefetch pass that follows, the rAF
 * interval, and whether that frame had chunks missing (a gap in the blink).
 */
function blinkFrames(page, switches) {
  return page.evaluate(async switches => {
    const view = window.__widget.content.imageView;
    const canvas = view.canvas;
    const prefetchMs = [];
    const originalPrefetch = view.prefetcher.pass;
    view.prefetcher.pass = function () {
      const t0 = performance.now();
      originalPrefetch.call(this);
      prefetchMs.push(performance.now() - t0);
    };
    let wantedTilesMs = 0;
    let wantedTilesCalls = 0;
    const originalWanted = view.wantedTiles;
    view.wantedTiles = function (...a) {
      const s = performance.now();
      try {
        return originalWanted.apply(this, a);
      } finally {
        wantedTilesMs += performance.now() - s;
        wantedTilesCalls++;
      }
    };
    const raf = () => new Promise(r => requestAnimationFrame(r));
    await raf();
    await raf();
    wantedTilesMs = 0;
    wantedTilesCalls = 0;
    const intervals = [];
    const nextMs = [];
    let gaps = 0;
    let last = null;
    const t0 = performance.now();
    for (let i = 0; i <= switches; i++) {
      const t = await raf(); // the view's draw for the previous switch ran earlier in this frame
      if (last !== null) intervals.push(t - last);
      last = t;
      if (i > 0 && canvas.dataset.pending !== '0') gaps++;
      if (i === switches) break;
      const s = performance.now();
      view.next();
      nextMs.push(performance.now() - s);
    }
    const wallMs = performance.now() - t0;
    await raf();
    view.prefetcher.pass = originalPrefetch;
    view.wantedTiles = originalWanted;
    return {
      wantedTilesMs,
      wantedTilesCalls,
      frameTimes: view.frameTimes.slice(-switches), // one per switch; the view keeps the last 512
      intervals,
      nextMs,
      prefetchMs,
      gaps,
      wallMs,
      readyAfter: view.readyCount,
      frameTimesKept: view.frameTimes.length
    };
  }, switches);
}

/** performance.memory after a forced GC (Chromium launched with --expose-gc). */
function jsHeap(page) {
  return page.evaluate(async () => {
    if (window.gc) window.gc();
    await new Promise(r => setTimeout(r, 200));
    return { usedMB: performance.memory.usedJSHeapSize / 1e6, totalMB: performance.memory.totalJSHeapSize / 1e6 };
  });
}

/** The naive path in the page: GET the whole ASDF via /files/, then lz4-decode its `data` block. */
function naiveOne(page, path) {
  return page.evaluate(async url => {
    const t0 = performance.now();
    const buffer = await (await fetch(url)).arrayBuffer();
    const downloadMs = performance.now() - t0;
    const bytes = new Uint8Array(buffer);
    const t1 = performance.now();
    // the tree: which block holds `data`, its shape and byte order
    const head = new TextDecoder().decode(bytes.subarray(0, Math.min(bytes.length, 1 << 20)));
    const treeEnd = head.indexOf('\n...\n') + 5;
    const m = head.match(/\n {2}data: !core\/ndarray[^\n]*\n((?: {4}[^\n]*\n)+)/);
    const source = Number(m[1].match(/source: (\d+)/)[1]);
    const shape = JSON.parse(m[1].match(/shape: (\[[^\]]*\])/)[1]);
    const view = new DataView(buffer);
    let at = treeEnd;
    let block = null;
    for (let index = 0; ; index++) {
      if (view.getUint32(at) !== 0xd3424c4b) throw new Error(`no block magic at ${at}`);
      const headerSize = view.getUint16(at + 4);
      const h = at + 6;
      const compression = new TextDecoder().decode(bytes.subarray(h + 4, h + 8)).replace(/\0/g, '');
      const allocated = Number(view.getBigUint64(h + 8));
      const used = Number(view.getBigUint64(h + 16));
      const dataSize = Number(view.getBigUint64(h + 24));
      if (index === source) {
        block = { start: h + headerSize, used, dataSize, compression };
        break;
      }
      at = h + headerSize + allocated;
    }
    if (block.compression !== 'lz4') throw new Error(`block compression ${block.compression}`);
    // asdf's lz4: [u32 BE compressed length][u32 LE uncompressed size][lz4 block] ...
    const out = new Uint8Array(block.dataSize);
    let sp = block.start;
    const end = block.start + block.used;
    let dp = 0;
    while (sp < end) {
      const length = view.getUint32(sp);
      const size = view.getUint32(sp + 4, true);
      let s = sp + 8;
      const sEnd = sp + 4 + length;
      const dEnd = dp + size;
      while (s < sEnd) {
        const token = bytes[s++];
        let literals = token >> 4;
        if (literals === 15) {
          let b;
          do {
            b = bytes[s++];
            literals += b;
          } while (b === 255);
        }
        out.set(bytes.subarray(s, s + literals), dp);
        s += literals;
        dp += literals;
        if (s >= sEnd) break;
        const offset = bytes[s] | (bytes[s + 1] << 8);
        s += 2;
        let match = token & 15;
        if (match === 15) {
          let b;
          do {
            b = bytes[s++];
            match += b;
          } while (b === 255);
        }
        match += 4;
        let from = dp - offset;
        if (offset >= match) {
          out.copyWithin(dp, from, from + match);
          dp += match;
        } else {
          for (let k = 0; k < match; k++) out[dp++] = out[from++];
        }
      }
      if (dp !== dEnd) throw new Error(`lz4 chunk decoded to ${dp} bytes, expected ${dEnd}`);
      sp = sEnd;
    }
    const data = new Float32Array(out.buffer); // little-endian on the platforms Roman files come from
    const decodeMs = performance.now() - t1;
    return { downloadMs, decodeMs, fileMB: buffer.byteLength / 1e6, dataMB: block.dataSize / 1e6, shape, first: Array.from(data.subarray(0, 4)) };
  }, `${base}/files/${path}`);
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--enable-precise-memory-info', '--js-flags=--expose-gc']
  });
  const rootPid = process.pid;
  const result = { browser: browser.version() };
  const timeout = cfg.timeoutS;

  // 1a. never converted: the reference opens (its conversion included), then the other 99 are added
  phase('cold-open');
  let lab = await newLab(browser, 'blink-cold');
  Object.assign(result, await lab.page.evaluate(() => {
    const gl = document.createElement('canvas').getContext('webgl2');
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    return { renderer: ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER), cores: navigator.hardwareConcurrency };
  }));
  result.coldOpen = await openReference(lab.page, cfg.reference, cfg.center, cfg.zoom);
  log(`cold reference open ${result.coldOpen.openMs.toFixed(0)} ms, canvas ${result.coldOpen.canvas}`);
  // A store read while display-ready must reach its full resolution in the same page (its root
  // zarr.json is served no-cache until complete; it was once cached as immutable): the levels
  // the reference has 3 s after data-ready=complete, with the browser's HTTP cache as it is
  await new Promise(r => setTimeout(r, 3000));
  const levelsOf = () => lab.page.evaluate(() => window.__widget.content.imageView.images.map(im => ({ levels: im.levels.map(l => l.index), complete: !!im.store.attrs.complete })));
  result.coldOpen.referenceWithCache = (await levelsOf())[0];
  log(`reference levels 3 s after it opened: ${JSON.stringify(result.coldOpen.referenceWithCache)}`);
  await lab.page.evaluate(async () => {
    const view = window.__widget.content.imageView;
    for (let i = 0; i < 3000 && view.canvas.dataset.pending !== '0'; i++) await new Promise(r => setTimeout(r, 20));
  });
  phase('cold-add');
  result.cold = await addAndWait(lab.page, cfg.others, timeout, true);
  phase('cold-served');
  log(`cold: ready ${result.cold.readyCount}/${result.cold.stackSize} after ${(result.cold.readyMs ?? result.cold.endMs) / 1000} s`);
  result.cold.heap = await jsHeap(lab.page);
  result.cold.browserMemory = browserMemory(rootPid);
  await new Promise(r => setTimeout(r, 3000));
  await lab.context.close();

  // 1b. already converted, in a new context (empty HTTP cache), same server
  phase('warm-open');
  lab = await newLab(browser, 'blink-warm');
  result.warmOpen = await openReference(lab.page, cfg.reference, cfg.center, cfg.zoom);
  phase('warm-add');
  result.warm = await addAndWait(lab.page, cfg.others, timeout, true);
  phase('warm-served');
  log(`warm: ready ${result.warm.readyCount}/${result.warm.stackSize} after ${(result.warm.readyMs ?? result.warm.endMs) / 1000} s`);
  result.warm.heap = await jsHeap(lab.page);
  result.warm.browserMemory = browserMemory(rootPid);

  // 2. switching over resident chunks, with the Roman panel (the stack list) shown, then hidden
  phase('blink');
  result.blink = await blinkFrames(lab.page, cfg.blinkSwitches);
  await lab.page.evaluate(() => window.jupyterapp.shell.activateById('filebrowser'));
  result.blinkNoPanel = await blinkFrames(lab.page, cfg.blinkSwitches);
  result.afterBlink = { heap: await jsHeap(lab.page), browserMemory: browserMemory(rootPid) };
  log(`blink: ${result.blink.gaps} gaps, ready after ${result.blink.readyAfter}`);
  await lab.context.close();

  // 1c. smaller chunk caches (the default 512 MiB among them): how many of the images become
  // ready (prefetch stops at 75% of the cache), and one blink pass over the whole stack
  result.small = [];
  for (const mb of cfg.smallCacheMB) {
    phase(`cache-${mb}`);
    const put = await fetch(`${base}/lab/api/settings/roman-lab:plugin`, {
      method: 'PUT',
      headers: { Authorization: `token ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ raw: JSON.stringify({ chunkCacheMB: mb }) })
    });
    if (!put.ok) throw new Error(`settings PUT ${put.status}`);
    lab = await newLab(browser, `blink-cache-${mb}`);
    await openReference(lab.page, cfg.reference, cfg.center, cfg.zoom);
    const small = await addAndWait(lab.page, cfg.others, timeout, false);
    small.blink = await blinkFrames(lab.page, cfg.others.length + 1);
    small.mb = mb;
    result.small.push(small);
    log(`cache ${mb} MiB: ready ${small.readyCount}/${small.stackSize}`);
    await lab.context.close();
  }

  // 4. naive: the whole ASDF through /files/ and its data block lz4-decoded in the page
  phase('naive');
  lab = await newLab(browser, 'blink-naive');
  result.naive = [];
  for (const path of cfg.naive) {
    result.naive.push({ path, ...(await naiveOne(lab.page, path)) });
    await lab.page.evaluate(() => window.gc && window.gc());
  }
  await lab.context.close();
  phase('done');
  console.log(`RESULT ${JSON.stringify(result)}`);
  await browser.close();
})().catch(error => {
  console.error(error);
  process.exit(1);
});
