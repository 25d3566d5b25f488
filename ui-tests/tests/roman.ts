/** What the browser tests share: Python's truth about the demo, opening files, reading the canvas. */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

type Page = IJupyterLabPageFixture;

/** Pixel values, flags and sky positions Python computed for the demo's first L2 (make_truth.py). */
export interface ITruth {
  file: string;
  shape: [number, number];
  data: Array<Array<number | null>>;
  jumps: Array<{ x: number; y: number; flags: number }>;
  sky: Array<{ x: number; y: number; ra: number; dec: number }>;
  zscale: [number, number];
}

/** make_truth.py's `blink.cosmic_ray`: the faint cosmic ray the demo's pipeline did not flag. */
export interface ICosmicRay {
  exposure: string;
  ra: number;
  dec: number;
  resultant: number;
  pixels: Array<{ x: number; y: number }>;
}

export async function truth(page: Page): Promise<ITruth> {
  return (await (await page.request.get('/files/truth.json')).json()) as ITruth;
}

/** Double-clicks a file of the demo folder and waits for the viewer to reach `state`. */
export async function openByDoubleClick(page: Page, name: string, state = 'complete'): Promise<Locator> {
  await page.filebrowser.openDirectory('demo');
  await page.locator('.jp-DirListing-item', { hasText: name }).dblclick();
  const viewer = page.locator('.jp-RomanViewer');
  await expect(viewer).toHaveAttribute('data-ready', state, { timeout: 30000 });
  if (state === 'complete') {
    // every chunk of the view is drawn
    await expect(viewer.locator('canvas')).toHaveAttribute('data-pending', '0', { timeout: 30000 });
  }
  return viewer;
}

/** Where image pixel (x, y) is on the page, from the view state the canvas carries. */
export async function pixelOnPage(canvas: Locator, x: number, y: number): Promise<[number, number]> {
  const box = (await canvas.boundingBox())!;
  const state = await canvas.evaluate((c: HTMLCanvasElement) => ({
    cx: Number(c.dataset.centerX),
    cy: Number(c.dataset.centerY),
    zoom: Number(c.dataset.zoom),
    w: c.width,
    h: c.height,
    dpr: devicePixelRatio
  }));
  return [
    box.x + ((x - state.cx) * state.zoom + state.w / 2) / state.dpr,
    box.y + (state.h / 2 - (y - state.cy) * state.zoom) / state.dpr
  ];
}

/** Every `step`-th RGBA pixel of what the WebGL canvas shows (it keeps its drawing buffer). */
export function canvasPixels(canvas: Locator, step = 1): Promise<number[]> {
  return canvas.evaluate((c: HTMLCanvasElement, step: number) => {
    const copy = document.createElement('canvas');
    copy.width = c.width;
    copy.height = c.height;
    const ctx = copy.getContext('2d')!;
    ctx.drawImage(c, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const out: number[] = [];
    for (let i = 0; i < d.length; i += 4 * step) {
      out.push(d[i], d[i + 1], d[i + 2], d[i + 3]);
    }
    return out;
  }, step);
}

/** Runs code in a new cell at the end of the notebook (the first, empty cell for the first call) and returns its text output. */
export async function run(page: Page, code: string): Promise<string> {
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
export async function shownWidget(page: Page, nth = 0): Promise<Locator> {
  const widget = page.locator('.roman-widget').nth(nth);
  await expect(widget).toBeVisible({ timeout: 30000 });
  const canvas = widget.locator('canvas.jp-RomanImageView-canvas');
  await expect(canvas).toHaveAttribute('data-frames', /\d+/, { timeout: 60000 });
  await expect(canvas).toHaveAttribute('data-pending', '0', { timeout: 60000 });
  await expect(widget).toHaveAttribute('data-loading', '0', { timeout: 60000 });
  return widget;
}

/** Draws a circle of `radius` screen pixels at the centre of the canvas with the Circle tool, then goes back to Pan. */
export async function drawCircleAtCentre(page: Page, canvas: Locator, radius: number): Promise<void> {
  const box = (await canvas.boundingBox())!;
  await page.locator('.jp-RomanTool-circle').click();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + radius, box.y + box.height / 2, { steps: 4 });
  await page.mouse.up();
  await page.locator('.jp-RomanTool-pan').click();
}

/** A cell that shows a notebook `Viewer` of demo files (`files`, names in the demo folder). */
export function viewerCell(files: string[], imports = 'import os', args = ''): string {
  return [imports, 'from roman_lab import Viewer', `v = Viewer(${args})`, ...files.map(f => `v.load(os.path.abspath("../demo/${f}"))`), 'v'].join('\n');
}
