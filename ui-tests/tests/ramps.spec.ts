import { expect, test } from '@jupyterlab/galata';

import { ICosmicRay, openByDoubleClick, pixelOnPage, truth } from './roman';

test.describe('Ramps', () => {
  test('the ramps of the pixels in a circle show the faint cosmic ray the pipeline did not flag', async ({ page }, testInfo) => {
    const cr = ((await truth(page)) as unknown as { blink: { cosmic_ray: ICosmicRay } }).blink.cosmic_ray;
    const viewer = await openByDoubleClick(page, cr.exposure);
    const canvas = viewer.locator('canvas');
    await page.sidebar.openTab('roman-lab-sidebar');
    const panel = page.locator('#roman-lab-sidebar');
    const hit = cr.pixels[0];
    await page.evaluate(([x, y]) => (window as any).jupyterapp.shell.currentWidget.content.imageView.setView(x, y, 12), [hit.x, hit.y]);
    await expect(canvas).toHaveAttribute('data-pending', '0');
    // a circle of ~3 pixels around the hit
    const [sx, sy] = await pixelOnPage(canvas, hit.x, hit.y);
    await page.locator('.jp-RomanTool-circle').click();
    await page.mouse.move(sx, sy);
    await page.mouse.down();
    await page.mouse.move(sx + 36, sy, { steps: 4 });
    await page.mouse.up();
    await page.locator('.jp-RomanTool-pan').click();

    await panel.locator('.jp-RomanSidebar-ramps').click();
    const ramps = page.locator('.jp-RomanRamps');
    await expect(ramps).toHaveAttribute('data-state', 'ready', { timeout: 30000 });
    const summary = ramps.locator('.jp-RomanRampPanel-counts');
    await expect(summary).toContainText(/[1-9]\d* not flagged/);
    const rampSet = await page.evaluate(() => {
      const widget = (window as any).jupyterapp.shell.widgets('main');
      for (let w = widget.next(); !w.done; w = widget.next()) {
        if (w.value.content?.rampSet) {
          return w.value.content.rampSet;
        }
      }
      return null;
    });
    const jump = rampSet.jumps.find((j: any) => j.x === hit.x && j.y === hit.y);
    expect(jump, 'the faint hit is among the jumps').toBeTruthy();
    expect(jump.pipeline_flagged).toBe(false);
    expect(jump.resultant).toBe(cr.resultant);

    // hovering the hit in the viewer is the pixel the ramp panel knows
    await page.mouse.move(sx, sy);
    await expect(viewer.locator('.jp-RomanViewer-readout')).toContainText(`x ${hit.x}  y ${hit.y}`);
    await page.screenshot({ path: testInfo.outputPath('ramps.png') });
  });

  test('ramps need a circle and an exposure, and say so', async ({ page }) => {
    const { file } = await truth(page);
    await openByDoubleClick(page, file);
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('roman-lab:ramps'));
    await expect(page.locator('.jp-toast-container, .Toastify')).toContainText('Select a circle first');
  });
});
