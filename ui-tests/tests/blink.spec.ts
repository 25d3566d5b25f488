import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

import { drawCircleAtCentre, openByDoubleClick, truth } from './roman';

type Page = IJupyterLabPageFixture;

/** make_truth.py's `blink`: a star near the faint cosmic ray and, per exposure, gwcs's map to it. */
interface IBlinkTruth {
  mosaic: string;
  star: { ra: number; dec: number; x: number; y: number };
  glitch: string;
  user_images: string[];
  exposures: Array<{
    file: string;
    at: [number, number];
    jacobian: [[number, number], [number, number]];
    origin: [number, number];
    values: number[][];
  }>;
}

const ZOOM = 16; // device pixels per mosaic pixel: one screen pixel is 1/16 of an image pixel

/** The viewer's state as the canvas carries it. */
interface ICanvasState {
  current?: string;
  pending?: string;
  stackReady?: string;
  centerX?: string;
  centerY?: string;
  zoom?: string;
  width: number;
  height: number;
}

function canvasState(canvas: Locator): Promise<ICanvasState> {
  return canvas.evaluate((c: HTMLCanvasElement) => ({ ...c.dataset, width: c.width, height: c.height }));
}

/** The red channel of a window of device pixels of the WebGL canvas (it keeps its drawing buffer). */
function canvasWindow(canvas: Locator, x0: number, y0: number, w: number, h: number): Promise<number[]> {
  return canvas.evaluate(
    (c: HTMLCanvasElement, [x0, y0, w, h]) => {
      const copy = document.createElement('canvas');
      copy.width = w;
      copy.height = h;
      const ctx = copy.getContext('2d')!;
      ctx.drawImage(c, x0, y0, w, h, 0, 0, w, h);
      const d = ctx.getImageData(0, 0, w, h).data;
      return Array.from({ length: w * h }, (_, i) => d[4 * i]);
    },
    [x0, y0, w, h]
  );
}

/** The viewer's image view, reached through the app (to set an exact view; a user zooms with the wheel). */
async function setView(page: Page, x: number, y: number, zoom: number): Promise<void> {
  await page.evaluate(
    ([x, y, zoom]) => {
      const widget = (window as any).jupyterapp.shell.currentWidget;
      widget.content.imageView.setView(x, y, zoom);
    },
    [x, y, zoom]
  );
}

/** The stack list's entry of a file of the demo folder (its id is its root-relative path). */
function stackItem(panel: Locator, name: string): Locator {
  return panel.locator(`.jp-RomanSidebar-stackItem[data-id="demo/${name}"]`);
}

async function showImage(panel: Locator, canvas: Locator, name: string): Promise<void> {
  await stackItem(panel, name).locator('.jp-RomanSidebar-stackName').click();
  await expect.poll(async () => (await canvasState(canvas)).current, { timeout: 10000 }).toContain(name);
  await expect.poll(async () => (await canvasState(canvas)).pending, { timeout: 20000 }).toBe('0');
}

/**
 * Every device pixel of a window around the star whose centre is more than one screen
 * pixel from an edge of the exposure's pixels (by gwcs) must show that pixel's value: so
 * the exposure is drawn where gwcs puts it, within one screen pixel (1/16 image pixel).
 */
function misaligned(
  gray: number[],
  window: { x0: number; y0: number; w: number; h: number },
  view: { cx: number; cy: number; width: number; height: number },
  exposure: IBlinkTruth['exposures'][number],
  star: { x: number; y: number },
  limits: [number, number]
): { checked: number; wrong: Array<[number, number, number, number]> } {
  const [[a, b], [c, d]] = exposure.jacobian;
  const wrong: Array<[number, number, number, number]> = [];
  let checked = 0;
  for (let j = 0; j < window.h; j++) {
    for (let i = 0; i < window.w; i++) {
      const px = window.x0 + i + 0.5;
      const py = window.y0 + j + 0.5;
      const rx = view.cx + (px - view.width / 2) / ZOOM - star.x;
      const ry = view.cy - (py - view.height / 2) / ZOOM - star.y;
      const ex = exposure.at[0] + a * rx + b * ry;
      const ey = exposure.at[1] + c * rx + d * ry;
      const edge = 0.5 - Math.max(Math.abs(ex - Math.round(ex)), Math.abs(ey - Math.round(ey)));
      if (edge * ZOOM <= 1.0) {
        continue; // within a screen pixel of a pixel edge: either side is right
      }
      const value = exposure.values[Math.round(ey) - exposure.origin[1]]?.[Math.round(ex) - exposure.origin[0]];
      if (value === undefined || !Number.isFinite(value)) {
        continue;
      }
      const t = Math.min(1, Math.max(0, (value - limits[0]) / (limits[1] - limits[0])));
      const expected = Math.min(Math.trunc(t * 256), 255);
      checked++;
      if (Math.abs(gray[j * window.w + i] - expected) > 2) {
        wrong.push([i, j, gray[j * window.w + i], expected]);
      }
    }
  }
  return { checked, wrong };
}

test.describe('Blink stack', () => {
  test('the exposures behind a circle line up on the sky, share one stretch, and blink with the user images', async ({
    page
  }, testInfo) => {
    test.setTimeout(180000);
    const blink = (await truth(page) as unknown as { blink: IBlinkTruth }).blink;
    const viewer = await openByDoubleClick(page, blink.mosaic);
    const canvas = viewer.locator('canvas');
    await page.sidebar.openTab('roman-lab-sidebar');
    const panel = page.locator('#roman-lab-sidebar');

    // the circle: go to the star, draw around it, find the exposures in the mosaic's lineage
    await panel.locator('.jp-RomanSidebar-gotoText').fill(`${blink.star.ra} ${blink.star.dec}`);
    await panel.locator('.jp-RomanSidebar-gotoForm button').click();
    await drawCircleAtCentre(page, canvas, 12);
    await panel.locator('.jp-RomanSidebar-source').selectOption('lineage');
    await panel.locator('.jp-RomanSidebar-find').click();
    const loadAll = panel.locator('.jp-RomanSidebar-loadAll');
    await expect(loadAll).toBeVisible({ timeout: 20000 });
    await loadAll.click();
    const names = blink.exposures.map(e => e.file);
    await expect.poll(async () => Number(await viewer.getAttribute('data-stack-size')), { timeout: 60000 }).toBeGreaterThanOrEqual(
      names.length + 1
    );
    await expect(viewer).toHaveAttribute('data-adding', '0', { timeout: 60000 });
    const items = panel.locator('.jp-RomanSidebar-stackItem');
    await expect(items).toHaveCount(names.length + 1);
    for (const name of names) {
      await expect(stackItem(panel, name)).toHaveCount(1);
    }
    await expect(viewer.locator('.jp-RomanViewer-stackNav')).toBeVisible();
    await page.screenshot({ path: testInfo.outputPath('stack-loaded.png') });

    // one linear display for all, with the same limits, then the view on the star at high zoom
    const limits: [number, number] = [Infinity, -Infinity];
    for (const e of blink.exposures) {
      for (const v of e.values.flat().filter(Number.isFinite)) {
        limits[0] = Math.min(limits[0], v);
        limits[1] = Math.max(limits[1], v);
      }
    }
    await panel.locator('.jp-RomanSidebar-stretch').selectOption('linear');
    await panel.locator('.jp-RomanSidebar-colormap').selectOption('grey');
    await panel.locator('.jp-RomanSidebar-interval').selectOption('manual');
    await panel.locator('.jp-RomanSidebar-vmin').fill(String(limits[0]));
    await panel.locator('.jp-RomanSidebar-vmin').press('Enter');
    await panel.locator('.jp-RomanSidebar-vmax').fill(String(limits[1]));
    await panel.locator('.jp-RomanSidebar-vmax').press('Enter');
    const reference = await page.evaluate(
      () => (window as any).jupyterapp.shell.currentWidget.content.imageView.reference.info.name
    );
    expect(reference).toBe(blink.mosaic);
    await setView(page, blink.star.x, blink.star.y, ZOOM);

    for (const exposure of blink.exposures) {
      await showImage(panel, canvas, exposure.file);
      const state = await canvasState(canvas);
      const view = { cx: Number(state.centerX), cy: Number(state.centerY), width: state.width, height: state.height };
      expect(Number(state.zoom)).toBe(ZOOM);
      const win = { x0: Math.round(view.width / 2 - 96), y0: Math.round(view.height / 2 - 96), w: 192, h: 192 };
      const gray = await canvasWindow(canvas, win.x0, win.y0, win.w, win.h);
      const { checked, wrong } = misaligned(gray, win, view, exposure, blink.star, limits);
      expect(checked, `${exposure.file}: pixels compared`).toBeGreaterThan(20000);
      expect(wrong.slice(0, 5), `${exposure.file}: ${wrong.length} of ${checked} screen pixels show another pixel`).toEqual([]);
    }
    await page.screenshot({ path: testInfo.outputPath('aligned-on-star.png') });

    // after one pass every image of the stack has the chunks of this view: a blink never shows a gap
    const stackSize = Number(await viewer.getAttribute('data-stack-size'));
    await expect.poll(async () => Number((await canvasState(canvas)).stackReady), { timeout: 20000 }).toBe(stackSize);
    await expect(panel.locator('.jp-RomanSidebar-cacheHint')).toBeHidden(); // the stack fits in the chunk cache

    // change the stretch once: every image takes it
    await panel.locator('.jp-RomanSidebar-stretch').selectOption('sqrt');
    const stretches = await page.evaluate(() =>
      (window as any).jupyterapp.shell.currentWidget.content.imageView.images.map((image: any) => image.display.stretch.name)
    );
    expect(new Set(stretches)).toEqual(new Set(['sqrt']));
    await canvas.press('n');
    await expect.poll(async () => (await canvasState(canvas)).current).not.toContain(blink.exposures[blink.exposures.length - 1].file);

    // the user's model and residual of the exposure with the glitch join from the file browser
    await showImage(panel, canvas, blink.glitch);
    const [model, residual, residualFits] = blink.user_images;
    await page.sidebar.openTab('filebrowser');
    await page.locator('.jp-DirListing-item', { hasText: model }).click();
    await page.locator('.jp-DirListing-item', { hasText: residual }).click({ modifiers: ['Control'] });
    await page.locator('.jp-DirListing-item', { hasText: residualFits }).click({ modifiers: ['Control'] });
    await page.locator('.jp-DirListing-item', { hasText: residual }).click({ button: 'right' });
    await page.locator('.lm-Menu-item', { hasText: 'Add to Blink Stack' }).click();
    await page.sidebar.openTab('roman-lab-sidebar');
    await expect.poll(async () => Number(await viewer.getAttribute('data-stack-size')), { timeout: 30000 }).toBe(stackSize + 3);
    await showImage(panel, canvas, residual);
    await expect(viewer.locator('.jp-RomanViewer-name')).toHaveText(residual);
    await page.screenshot({ path: testInfo.outputPath('residual.png') });
    const asdfPixels = await canvasWindow(canvas, 200, 150, 256, 256);
    // the same residual as a FITS file without a WCS borrows the exposure's and lands on the same screen pixels
    const fitsItem = stackItem(panel, residualFits);
    await expect(fitsItem.locator('.jp-RomanSidebar-wcsFrom')).toHaveValue(await page.evaluate(
      name => (window as any).jupyterapp.shell.currentWidget.content.imageView.images.find((i: any) => i.info.name === name).id,
      blink.glitch
    ));
    await showImage(panel, canvas, residualFits);
    expect(await canvasWindow(canvas, 200, 150, 256, 256)).toEqual(asdfPixels);

    // mark the glitch, then a timed blink goes through the images by itself
    await stackItem(panel, blink.glitch).locator('.jp-RomanSidebar-mark').click();
    await expect(panel.locator('.jp-RomanSidebar-stackItem[data-mark="suspicious"]')).toHaveCount(1);
    await panel.locator('.jp-RomanSidebar-blinkInterval').fill('0.2');
    await panel.locator('.jp-RomanSidebar-blinkInterval').press('Enter');
    await panel.locator('.jp-RomanSidebar-stackBlink').click();
    await expect(viewer).toHaveAttribute('data-blinking', 'true');
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          seen.add((await canvasState(canvas)).current ?? '');
          return seen.size;
        },
        { intervals: [100], timeout: 10000 }
      )
      .toBeGreaterThanOrEqual(4);
    await panel.locator('.jp-RomanSidebar-stackBlink').click();
    await expect(viewer).toHaveAttribute('data-blinking', 'false');
    await page.screenshot({ path: testInfo.outputPath('blink-stopped.png') });
  });
});
