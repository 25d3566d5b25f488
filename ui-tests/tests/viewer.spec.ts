import { expect, test } from '@jupyterlab/galata';
import { canvasPixels, openByDoubleClick, pixelOnPage, truth } from './roman';

test.describe('Roman viewer', () => {
  test('double-click opens an exposure and draws it', async ({ page }, testInfo) => {
    const { file } = await truth(page);
    const viewer = await openByDoubleClick(page, file);
    const canvas = viewer.locator('canvas');
    // pixel sampling: the image is drawn (not a blank canvas)
    const pixels = await canvasPixels(canvas);
    const lit = pixels.filter((v, i) => i % 4 === 0 && v > 40).length;
    expect(lit).toBeGreaterThan(100);
    await page.screenshot({ path: testInfo.outputPath('exposure.png') });
  });

  test('hovering reads the pixel value Python reads', async ({ page }) => {
    const { file, data } = await truth(page);
    const viewer = await openByDoubleClick(page, file);
    const canvas = viewer.locator('canvas');
    const box = (await canvas.boundingBox())!;
    const readout = viewer.locator('.jp-RomanViewer-readout');
    for (const [fx, fy] of [
      [0.5, 0.5],
      [0.3, 0.7],
      [0.8, 0.2]
    ]) {
      await page.mouse.move(box.x + fx * box.width, box.y + fy * box.height);
      await expect(readout).toContainText('value');
      const text = (await readout.textContent())!;
      const match = /x (\d+)\s+y (\d+)\s+value (\S+)/.exec(text);
      expect(match, text).not.toBeNull();
      const [x, y, value] = [Number(match![1]), Number(match![2]), Number(match![3])];
      const expected = data[y][x]!;
      expect(Math.abs(value - expected)).toBeLessThanOrEqual(Math.abs(expected) * 1e-5 + 1e-6);
    }
  });

  test('hovering shows the RA/Dec gwcs gives for that pixel', async ({ page }) => {
    const { file, sky } = await truth(page);
    const viewer = await openByDoubleClick(page, file);
    const canvas = viewer.locator('canvas');
    const readout = viewer.locator('.jp-RomanViewer-readout');
    for (const point of sky.filter((_, i) => i % 37 === 5).slice(0, 5)) {
      const [px, py] = await pixelOnPage(canvas, point.x, point.y);
      await page.mouse.move(px, py);
      await expect(readout).toContainText(`x ${point.x}  y ${point.y}`);
      const text = (await readout.textContent())!;
      const [, ra, dec] = /\((\S+), (\S+)\)/.exec(text)!.map(Number);
      // the readout has 1e-6 deg digits; beyond that, TAN-SIP vs gwcs must agree to < 0.05 px
      const offsetArcsec = Math.hypot((ra - point.ra) * Math.cos((dec * Math.PI) / 180), dec - point.dec) * 3600;
      expect(offsetArcsec).toBeLessThan(0.01);
      expect(text).toMatch(/RA \d\d:\d\d:\d\d\.\d+ Dec [+-]\d\d:\d\d:\d\d\.\d+/);
    }
  });

  test('zooming in gives crisp pixels far beyond 1:1', async ({ page }, testInfo) => {
    const { file } = await truth(page);
    const viewer = await openByDoubleClick(page, file);
    const canvas = viewer.locator('canvas');
    await canvas.click();
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('+');
    }
    const box = (await canvas.boundingBox())!;
    const readout = viewer.locator('.jp-RomanViewer-readout');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const first = await readout.textContent();
    await page.mouse.move(box.x + box.width / 2 + 20, box.y + box.height / 2);
    const second = await readout.textContent();
    // >= 32 screen px per image pixel: 20 px further is still the same pixel
    expect(second).toBe(first);
    await page.screenshot({ path: testInfo.outputPath('zoomed.png') });
  });

  test('the circle tool draws, moves, resizes and deletes circles', async ({ page }, testInfo) => {
    const { file } = await truth(page);
    const viewer = await openByDoubleClick(page, file);
    const canvas = viewer.locator('canvas');
    const box = (await canvas.boundingBox())!;
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    await page.locator('.jp-RomanTool-circle').click();
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    await page.mouse.move(cx + 30, cy, { steps: 4 });
    await page.mouse.move(cx + 40, cy, { steps: 4 });
    await page.mouse.up();
    const circle = viewer.locator('circle.jp-RomanCircle');
    await expect(circle).toHaveCount(1);
    expect(Number(await circle.getAttribute('r'))).toBeCloseTo(40, 0);
    // move: drag from inside
    await page.mouse.move(cx + 5, cy + 5);
    await page.mouse.down();
    await page.mouse.move(cx + 25, cy + 5, { steps: 5 });
    await page.mouse.up();
    expect(Number(await circle.getAttribute('cx')) - (cx - box.x)).toBeCloseTo(20, 0);
    // resize: drag the rim outwards
    const rimX = box.x + Number(await circle.getAttribute('cx')) + 40;
    await page.mouse.move(rimX, cy);
    await page.mouse.down();
    await page.mouse.move(rimX + 20, cy, { steps: 5 });
    await page.mouse.up();
    expect(Number(await circle.getAttribute('r'))).toBeCloseTo(60, 0);
    await page.screenshot({ path: testInfo.outputPath('circle.png') });
    await page.keyboard.press('Delete');
    await expect(circle).toHaveCount(0);
    // a click (no drag) does not make a circle
    await page.mouse.click(cx - 60, cy - 60);
    await expect(circle).toHaveCount(0);
  });

  test('the DQ overlay marks flagged pixels and the status names their flags', async ({ page }, testInfo) => {
    const { file, jumps } = await truth(page);
    const viewer = await openByDoubleClick(page, file);
    const canvas = viewer.locator('canvas');
    const jump = jumps[0];
    await page.locator('.jp-RomanTool-dq').click();
    await expect(viewer).toHaveAttribute('data-dq', 'true');
    const [px, py] = await pixelOnPage(canvas, jump.x, jump.y);
    const readout = viewer.locator('.jp-RomanViewer-readout');
    await expect(async () => {
      await page.mouse.move(px, py);
      await expect(readout).toContainText(`x ${jump.x}  y ${jump.y}`);
      await expect(readout).toContainText('JUMP_DET', { timeout: 500 });
    }).toPass({ timeout: 10000 });
    await page.screenshot({ path: testInfo.outputPath('dq.png') });
    // the flagged pixel is drawn in the overlay's red
    const rgb = await canvas.evaluate(
      (c: HTMLCanvasElement, at: { x: number; y: number }) => {
        const copy = document.createElement('canvas');
        copy.width = c.width;
        copy.height = c.height;
        const ctx = copy.getContext('2d')!;
        ctx.drawImage(c, 0, 0);
        const zoom = Number(c.dataset.zoom);
        const sx = Math.round((at.x - Number(c.dataset.centerX)) * zoom + c.width / 2);
        const sy = Math.round(c.height / 2 - (at.y - Number(c.dataset.centerY)) * zoom);
        return Array.from(ctx.getImageData(sx, sy, 1, 1).data);
      },
      { x: jump.x, y: jump.y }
    );
    expect(rgb[0]).toBeGreaterThan(150);
    expect(rgb[0]).toBeGreaterThan(rgb[1] + 60);
  });

  test('the view exports as a PNG beside the file', async ({ page }) => {
    const { file } = await truth(page);
    await openByDoubleClick(page, file);
    await page.locator('.jp-RomanTool-png').click();
    const png = `demo/${file.replace(/\.asdf$/, '')}_view.png`;
    await expect(page.locator('.jp-Notification-Toast-success, .Toastify__toast--success').first()).toContainText('Saved the view');
    const response = await page.request.get(`/files/${png}`);
    const bytes = await response.body();
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    expect(bytes.length).toBeGreaterThan(10000);
    await page.contents.deleteFile(png);
  });

  test('keyboard shortcuts choose the tool and toggle the DQ overlay', async ({ page }) => {
    const { file } = await truth(page);
    const viewer = await openByDoubleClick(page, file);
    await viewer.locator('canvas').click();
    await page.keyboard.press('c');
    await expect(viewer).toHaveAttribute('data-tool', 'circle');
    await expect(page.locator('.jp-RomanTool-circle')).toHaveAttribute('aria-pressed', 'true');
    await page.keyboard.press('p');
    await expect(viewer).toHaveAttribute('data-tool', 'pan');
    await page.keyboard.press('d');
    await expect(viewer).toHaveAttribute('data-dq', 'true');
    await expect(page.locator('.jp-RomanTool-dq')).toHaveAttribute('aria-pressed', 'true');
  });

  test('a Level 1 ramp file says where its image is instead of failing', async ({ page }) => {
    const { file } = await truth(page);
    const viewer = await openByDoubleClick(page, file.replace('_cal.asdf', '_uncal.asdf'), 'notice');
    await expect(viewer.locator('.jp-RomanViewer-progressLabel')).toContainText('is a Level 1 ramp file');
  });

  test('a file that is not Roman gets the server message, not a hang', async ({ page, tmpPath }) => {
    await page.contents.uploadContent('hello, I am not ASDF\n', 'text', `${tmpPath}/not_roman.asdf`);
    await page.filebrowser.openDirectory(tmpPath);
    await page.locator('.jp-DirListing-item', { hasText: 'not_roman.asdf' }).dblclick();
    const viewer = page.locator('.jp-RomanViewer');
    await expect(viewer).toHaveAttribute('data-ready', 'error', { timeout: 15000 });
    await expect(viewer.locator('.jp-RomanViewer-progressLabel')).toContainText('not_roman.asdf is not an ASDF file');
    await expect(page.locator('.jp-Notification-Toast-error, .Toastify__toast--error').first()).toContainText('is not an ASDF file');
  });
});
