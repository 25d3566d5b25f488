/**
 * The notebook widget `roman_lab.Viewer`: the lab's viewer core in a cell output, its traits
 * synchronised with Python both ways (docs/state.md "Widget traits").
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

import { canvasPixels, pixelOnPage, truth } from './roman';

type Page = IJupyterLabPageFixture;

/** Runs code in a new cell at the end of the notebook (the first, empty cell for the first call) and returns its text output. */
async function run(page: Page, code: string): Promise<string> {
  const count = await page.notebook.getCellCount();
  const first = count === 1 && ((await page.notebook.getCellTextInput(0)) ?? '') === '';
  const index = first ? 0 : count;
  if (first) {
    await page.notebook.setCell(0, 'code', code);
  } else {
    await page.notebook.addCell('code', code);
  }
  await page.notebook.runCell(index, { inplace: true });
  return ((await page.notebook.getCellTextOutput(index)) ?? []).join('');
}

/** The widget in the output of the `nth` widget cell, once its first image is drawn complete. */
async function shownWidget(page: Page, nth = 0): Promise<Locator> {
  const widget = page.locator('.roman-widget').nth(nth);
  await expect(widget).toBeVisible({ timeout: 30000 });
  const canvas = widget.locator('canvas.jp-RomanImageView-canvas');
  await expect(canvas).toHaveAttribute('data-frames', /\d+/, { timeout: 60000 });
  await expect(canvas).toHaveAttribute('data-pending', '0', { timeout: 60000 });
  await expect(widget).toHaveAttribute('data-loading', '0', { timeout: 60000 });
  return widget;
}

/** Python: a displayed Viewer (made with `args`) with one demo file loaded. */
function viewerWith(file: string, args = ''): string {
  return ['import os, json', 'from roman_lab import Viewer', `v = Viewer(${args})`, `v.load(os.path.abspath("../demo/${file}"))`, 'v'].join('\n');
}

/** Python: a file that is not ASDF in the notebook's folder, and a stack entry naming it. */
const NOT_ROMAN = 'open("not-roman.asdf", "w").write("this is not ASDF")';
const NOT_ROMAN_ENTRY =
  '{"id": "x1", "path": os.path.abspath("not-roman.asdf"), "name": "not-roman", "kind": "user", ' +
  '"wcs_from": None, "mark": None, "meta": {"time": None, "detector": None, "level": None}}';

/** The widget says the file could not be shown, in the reader's words. */
async function expectRefused(widget: Locator): Promise<void> {
  await expect(widget.locator('.roman-widget-error')).toContainText('not-roman could not be shown', { timeout: 30000 });
  await expect(widget.locator('.roman-widget-error')).toContainText(/ASDF/);
}

/** How many of the sampled canvas pixels differ between two samples. */
function changed(a: number[], b: number[]): number {
  let n = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i += 4) {
    if (Math.abs(a[i] - b[i]) + Math.abs(a[i + 1] - b[i + 1]) + Math.abs(a[i + 2] - b[i + 2]) > 6) {
      n++;
    }
  }
  return n;
}

/** Distinct grey levels among sampled pixels (a drawn image has many, a blank canvas one). */
function levels(pixels: number[]): number {
  const seen = new Set<number>();
  for (let i = 0; i < pixels.length; i += 4) {
    seen.add(pixels[i]);
  }
  return seen.size;
}

test.describe('roman_lab.Viewer in a notebook', () => {
  test.setTimeout(240000);

  test('draws an exposure, sends a drawn circle to Python, follows the stretch, blinks, and restores a saved state', async ({
    page
  }, testInfo) => {
    const { file, sky } = await truth(page);
    const second = file.replace('_0001_', '_0002_');
    await page.notebook.createNew('widget.ipynb');

    // -- load from Python: the browser converts and draws ----------------------------------
    await run(page, viewerWith(file));
    const widget = await shownWidget(page);
    const canvas = widget.locator('canvas.jp-RomanImageView-canvas');
    await expect(widget.locator('.roman-widget-name')).toHaveText(file.replace(/\.asdf$/, ''));
    const drawn = await canvasPixels(canvas, 7);
    expect(levels(drawn)).toBeGreaterThan(20);
    await widget.screenshot({ path: testInfo.outputPath('widget-drawn.png') });

    // the browser reported its size
    const size = JSON.parse(await run(page, 'print(json.dumps(v.view_size))'));
    const box = (await widget.locator('.roman-widget-host').boundingBox())!;
    expect(Math.abs(size.width - box.width)).toBeLessThanOrEqual(1);
    expect(Math.abs(size.height - box.height)).toBeLessThanOrEqual(1);

    // -- Python -> view: centre on a known sky position at zoom 8 --------------------------
    const target = sky.find(p => p.x === 128 && p.y === 128)!;
    await run(
      page,
      [
        'from astropy.coordinates import SkyCoord',
        `v.center_on(SkyCoord(${target.ra}, ${target.dec}, unit="deg"))`,
        'v.zoom_level = 8'
      ].join('\n')
    );
    await expect.poll(async () => Number(await canvas.getAttribute('data-center-x')), { timeout: 10000 }).toBeCloseTo(128, 1);
    expect(Number(await canvas.getAttribute('data-center-y'))).toBeCloseTo(128, 1);
    await expect(canvas).toHaveAttribute('data-pending', '0', { timeout: 30000 });

    // -- browser -> Python: draw a circle around pixel (128, 128) ---------------------------
    await widget.locator('.roman-widget-circle').click();
    await expect(widget).toHaveAttribute('data-tool', 'circle');
    await canvas.scrollIntoViewIfNeeded();
    const [cx, cy] = await pixelOnPage(canvas, 128, 128);
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    await page.mouse.move(cx + 20, cy, { steps: 4 });
    await page.mouse.move(cx + 40, cy, { steps: 4 });
    await page.mouse.up();
    await expect(widget).toHaveAttribute('data-circles', '1');
    await widget.screenshot({ path: testInfo.outputPath('widget-circle.png') });
    const regions = JSON.parse(
      await run(
        page,
        [
          'r = v.get_region()',
          'print(json.dumps({"n": len(v.regions), "ra": r.center.ra.deg, "dec": r.center.dec.deg,',
          '                  "radius": r.radius.to_value("arcsec"), "id": r.meta["name"]}))'
        ].join('\n')
      )
    );
    expect(regions.n).toBe(1);
    // the press landed within half a CSS pixel of pixel (128, 128): 1/16 of an image pixel at zoom 8
    const step = sky.find(p => p.x === 144 && p.y === 128)!;
    const arcsecPerPixel =
      (Math.hypot((step.ra - target.ra) * Math.cos((target.dec * Math.PI) / 180), step.dec - target.dec) * 3600) / 16;
    const offArcsec = Math.hypot((regions.ra - target.ra) * Math.cos((target.dec * Math.PI) / 180), regions.dec - target.dec) * 3600;
    expect(offArcsec).toBeLessThan(0.2 * arcsecPerPixel);
    // 40 CSS px at 8 CSS px per image pixel: a 5-pixel radius
    expect(regions.radius).toBeGreaterThan(4.5 * arcsecPerPixel * 0.9);
    expect(regions.radius).toBeLessThan(5.5 * arcsecPerPixel * 1.1);
    expect(regions.id).toMatch(/^[0-9a-f]{8}$/);

    // the browser wrote the view back as it is (centre on the sky, zoom 8)
    const view = JSON.parse(await run(page, 'print(json.dumps({"center": v.center, "zoom": v.zoom_level}))'));
    expect(view.zoom).toBeCloseTo(8, 6);

    // -- the ramp panel of the circle, opened from Python, closed in the widget ----------------
    await run(page, 'v.show_ramps()');
    const ramps = widget.locator('.roman-widget-ramps');
    await expect(ramps).toHaveAttribute('data-state', 'ready', { timeout: 60000 });
    await expect(ramps.locator('.jp-RomanRampPanel canvas').first()).toBeVisible();
    await widget.screenshot({ path: testInfo.outputPath('widget-ramps.png') });
    await ramps.locator('.roman-widget-rampsClose').click();
    await expect(ramps).toBeHidden();
    expect((await run(page, 'print(v.ramp_selection)')).trim()).toBe('None');

    // -- Python -> view: the stretch changes the canvas --------------------------------------
    const before = await canvasPixels(canvas, 5);
    await run(page, 'v.stretch = "log"');
    await expect.poll(async () => changed(before, await canvasPixels(canvas, 5)), { timeout: 10000 }).toBeGreaterThan(100);
    await widget.screenshot({ path: testInfo.outputPath('widget-log-stretch.png') });

    // -- browser -> Python: a zoom with the wheel and a pan with the Pan tool ------------------
    await widget.locator('.roman-widget-pan').click();
    await canvas.scrollIntoViewIfNeeded();
    const [px, py] = await pixelOnPage(canvas, 128, 128);
    await page.mouse.move(px, py);
    await page.mouse.wheel(0, -300);
    await expect.poll(async () => Number(await run(page, 'print(v.zoom_level)')), { timeout: 10000 }).toBeGreaterThan(10);
    const zoomed = Number(await canvas.getAttribute('data-zoom')) / (await page.evaluate(() => devicePixelRatio));
    expect(Number(await run(page, 'print(v.zoom_level)'))).toBeCloseTo(zoomed, 4);
    await canvas.scrollIntoViewIfNeeded();
    const [qx, qy] = await pixelOnPage(canvas, 128, 128); // the notebook may have scrolled
    await page.mouse.move(qx + 80, qy + 40);
    await page.mouse.down();
    await page.mouse.move(qx, qy, { steps: 5 });
    await page.mouse.up();
    const panned = JSON.parse(await run(page, 'print(json.dumps(v.center))'));
    // dragging the image 80 CSS px left and 40 up moves the centre 80/zoom pixels right (+x) and 40/zoom down (y is up)
    const cxNow = Number(await canvas.getAttribute('data-center-x'));
    const cyNow = Number(await canvas.getAttribute('data-center-y'));
    expect(cxNow - 128).toBeCloseTo(80 / zoomed, 1);
    expect(cyNow - 128).toBeCloseTo(-40 / zoomed, 1);
    const movedArcsec = Math.hypot((panned.ra - target.ra) * Math.cos((target.dec * Math.PI) / 180), panned.dec - target.dec) * 3600;
    expect(movedArcsec / arcsecPerPixel).toBeCloseTo(Math.hypot(80, 40) / zoomed, 0);
    // the circle stays on the sky where it was drawn
    expect((await run(page, 'print(len(v.regions), v.get_region().meta["name"])')).trim()).toBe(`1 ${regions.id}`);

    // -- a second exposure; N on the canvas and the toolbar change `current` ------------------
    await run(page, `v.load(os.path.abspath("../demo/${second}"))`);
    await expect(widget).toHaveAttribute('data-stack-size', '2', { timeout: 60000 });
    await expect(widget).toHaveAttribute('data-loading', '0', { timeout: 60000 });
    await canvas.focus();
    await page.keyboard.press('n');
    await expect(widget.locator('.roman-widget-name')).toHaveText(second.replace(/\.asdf$/, ''));
    expect(await run(page, 'print(v.current, v.current_image["name"])')).toContain(`1 ${second.replace(/\.asdf$/, '')}`);
    await widget.locator('.roman-widget-previous').click();
    await expect(widget.locator('.roman-widget-name')).toHaveText(file.replace(/\.asdf$/, ''));
    expect((await run(page, 'print(v.current)')).trim()).toBe('0');
    // blinking from Python: the browser keeps time and writes `current` (the kernel records every
    // value it receives; comm messages are handled while the kernel is idle, so the page waits)
    await run(page, 'seen = set()\nv.observe(lambda change: seen.add(change["new"]), names="current")\nv.blink(0.2)');
    await expect(widget).toHaveAttribute('data-blinking', 'true');
    await page.waitForTimeout(1500);
    expect((await run(page, 'print(sorted(seen))')).trim()).toBe('[0, 1]');
    await run(page, 'v.stop()');
    await expect(widget).toHaveAttribute('data-blinking', 'false');

    // -- catalog markers from Python ----------------------------------------------------------
    await run(
      page,
      [
        'from astropy.table import Table',
        `v.load_catalog(Table({"coord": SkyCoord([${target.ra}], [${target.dec}], unit="deg")}), catalog_label="stars", use_skycoord=True)`
      ].join('\n')
    );
    await expect(widget).toHaveAttribute('data-markers', '1');
    await expect(widget.locator('.roman-widget-markers path')).toHaveAttribute('data-shown', '1');

    // -- save the state and restore it in a second widget -------------------------------------
    const saved = await run(
      page,
      ['v.current = 1', 'print(v.save_state("widget.romanview.json"))', 'w = Viewer.from_state("widget.romanview.json")', 'w'].join('\n')
    );
    expect(saved).toContain('widget.romanview.json');
    const restored = await shownWidget(page, 1);
    await expect(restored).toHaveAttribute('data-stack-size', '2', { timeout: 60000 });
    await expect(restored.locator('.roman-widget-name')).toHaveText(second.replace(/\.asdf$/, ''));
    await expect(restored).toHaveAttribute('data-circles', '1');
    await expect(restored).toHaveAttribute('data-markers', '1');
    const restoredCanvas = restored.locator('canvas.jp-RomanImageView-canvas');
    await expect(restoredCanvas).toHaveAttribute('data-pending', '0', { timeout: 30000 });
    expect(Number(await restoredCanvas.getAttribute('data-zoom'))).toBeCloseTo(Number(await canvas.getAttribute('data-zoom')), 3);
    expect(levels(await canvasPixels(restoredCanvas, 7))).toBeGreaterThan(20);
    const same = JSON.parse(
      await run(page, 'print(json.dumps([[e["path"] for e in w.images] == [e["path"] for e in v.images], w.stretch.__class__.__name__]))')
    );
    expect(same).toEqual([true, 'LogStretch']);
    await restored.screenshot({ path: testInfo.outputPath('widget-restored.png') });
  });

  test('a file the server refuses is reported in the widget with its message', async ({ page }) => {
    await page.notebook.createNew('widget-error.ipynb');
    await run(page, ['import os', 'from roman_lab import Viewer', NOT_ROMAN, 'v = Viewer()', `v.images = [${NOT_ROMAN_ENTRY}]`, 'v'].join('\n'));
    await expectRefused(page.locator('.roman-widget').first());
  });

  test('through its kernel (connection="kernel", as in VS Code or Colab): the same pixels and error words, no HTTP', async ({ page }) => {
    const { file } = await truth(page);
    const overHttp: string[] = [];
    page.on('request', request => {
      if (/\/roman-lab\/(api\/)?stores/.test(request.url())) {
        overHttp.push(request.url());
      }
    });
    await page.notebook.createNew('widget-kernel.ipynb');
    await run(page, viewerWith(file, 'connection="kernel"'));
    const widget = await shownWidget(page);
    expect(levels(await canvasPixels(widget.locator('canvas.jp-RomanImageView-canvas'), 7))).toBeGreaterThan(20);
    await run(page, `${NOT_ROMAN}\nv.images = v.images + [${NOT_ROMAN_ENTRY}]`);
    await expectRefused(widget);
    expect(overHttp).toEqual([]);
  });
});
