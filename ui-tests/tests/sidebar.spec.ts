import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

import { canvasPixels, openByDoubleClick, truth } from './roman';

type Page = IJupyterLabPageFixture;

async function openExposure(page: Page, file: string): Promise<Locator> {
  const viewer = await openByDoubleClick(page, file);
  await page.sidebar.openTab('roman-lab-sidebar');
  return viewer;
}

async function centrePixel(page: Page): Promise<string> {
  return page.locator('.jp-RomanViewer canvas').evaluate((c: HTMLCanvasElement) => `${c.dataset.centerX},${c.dataset.centerY}`);
}

async function drawCircle(page: Page, viewer: Locator, dx = 0, radius = 30) {
  const box = (await viewer.locator('canvas').boundingBox())!;
  const cx = box.x + box.width / 2 + dx;
  const cy = box.y + box.height / 2;
  await page.locator('.jp-RomanTool-circle').click();
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  await page.mouse.move(cx + radius, cy, { steps: 5 });
  await page.mouse.up();
}

test.describe('Roman sidebar', () => {
  test('stretch and colormap change the image without reloading it', async ({ page }, testInfo) => {
    const viewer = await openExposure(page, (await truth(page)).file);
    const panel = page.locator('#roman-lab-sidebar');
    const sample = async () => {
      const d = await canvasPixels(viewer.locator('canvas'), 97);
      let sum = 0;
      let colour = 0;
      for (let i = 0; i < d.length; i += 4) {
        sum += d[i] + d[i + 1] + d[i + 2];
        colour += Math.abs(d[i] - d[i + 2]);
      }
      return { sum, colour };
    };
    await panel.locator('.jp-RomanSidebar-stretch').selectOption('linear');
    await panel.locator('.jp-RomanSidebar-interval').selectOption('minmax');
    const linear = await sample();
    await panel.locator('.jp-RomanSidebar-stretch').selectOption('asinh');
    await panel.locator('.jp-RomanSidebar-interval').selectOption('zscale');
    await expect.poll(async () => (await sample()).sum).toBeGreaterThan(linear.sum * 2);
    expect((await sample()).colour).toBe(0);
    await panel.locator('.jp-RomanSidebar-colormap').selectOption('viridis');
    await expect.poll(async () => (await sample()).colour).toBeGreaterThan(1000);
    await expect(panel.locator('.jp-RomanSidebar-lo')).not.toBeEmpty();
    // zscale is astropy's ZScaleInterval of the whole image, as Python computes it
    const { zscale } = await truth(page);
    const vmin = Number(await panel.locator('.jp-RomanSidebar-vmin').inputValue());
    const vmax = Number(await panel.locator('.jp-RomanSidebar-vmax').inputValue());
    expect(Math.abs(vmin - zscale[0])).toBeLessThan(1e-5 * Math.abs(zscale[0]) + 1e-7);
    expect(Math.abs(vmax - zscale[1])).toBeLessThan(1e-5 * Math.abs(zscale[1]) + 1e-7);
    await page.screenshot({ path: testInfo.outputPath('zscale-viridis.png') });
  });

  test('a drawn circle shows its sky position and Python rebuilds it within 0.01 arcsec', async ({ page }, testInfo) => {
    const { file } = await truth(page);
    await page.notebook.createNew('regions.ipynb');
    const viewer = await openExposure(page, file);
    await drawCircle(page, viewer, 25, 30);
    const item = page.locator('#roman-lab-sidebar .jp-RomanSidebar-region');
    await expect(item).toHaveCount(1);
    await expect(item.locator('.jp-RomanSidebar-regionText')).toContainText('″');
    const pixel = (await item.locator('.jp-RomanSidebar-regionPixel').textContent())!;
    const [, x, y, r] = /x (\S+)\s+y (\S+)\s+r (\S+) px/.exec(pixel)!.map(Number);
    await page.screenshot({ path: testInfo.outputPath('region.png') });
    await item.locator('.jp-RomanSidebar-insert').click();
    await expect(page.locator('.jp-NotebookPanel-notebook').first()).toBeVisible();
    await expect(page.locator('.jp-Notebook .jp-Cell').last()).toContainText('CircleSkyRegion');
    await page.notebook.addCell(
      'code',
      [
        'import roman_datamodels as rdm',
        `m = rdm.open("../demo/${file}")`,
        `ra, dec = m.meta.wcs(${x}, ${y})`,
        `edge_ra, edge_dec = m.meta.wcs(${x} + ${r}, ${y})`,
        'truth = SkyCoord(ra * u.deg, dec * u.deg)',
        'radius = truth.separation(SkyCoord(edge_ra * u.deg, edge_dec * u.deg)).arcsec',
        'print("centre", round(region.center.separation(truth).arcsec, 5), "radius", round(abs(region.radius.to_value(u.arcsec) - radius), 5))'
      ].join('\n')
    );
    await page.notebook.run();
    const cells = await page.notebook.getCellCount();
    const output = (await page.notebook.getCellTextOutput(cells - 1))!.join('');
    const [, centre, radius] = /centre (\S+) radius (\S+)/.exec(output)!.map(Number);
    expect(centre).toBeLessThan(0.01);
    expect(radius).toBeLessThan(0.01);
  });

  test('Go to centres a typed RA/Dec and explains an unresolvable name', async ({ page }) => {
    const { file, sky } = await truth(page);
    await openExposure(page, file);
    const target = sky.find(p => p.x === 64 && p.y === 192)!;
    const panel = page.locator('#roman-lab-sidebar');
    await panel.locator('.jp-RomanSidebar-gotoText').fill(`${target.ra.toFixed(7)} ${target.dec.toFixed(7)}`);
    await panel.locator('.jp-RomanSidebar-gotoForm button').click();
    await expect.poll(() => centrePixel(page)).toMatch(/^6[34]\.\d*,19[12]\.\d*$|^64,192$/);
    const [cx, cy] = (await centrePixel(page)).split(',').map(Number);
    expect(Math.hypot(cx - 64, cy - 192)).toBeLessThan(0.01);
    await panel.locator('.jp-RomanSidebar-gotoText').fill('M87');
    await panel.locator('.jp-RomanSidebar-gotoForm button').click();
    await expect(page.locator('.jp-Notification-Toast-error, .Toastify__toast--error').first()).toContainText(
      /name resolver|not on this image/
    );
  });

  test('Find exposures lists the L2 exposures behind a circle on the mosaic', async ({ page }, testInfo) => {
    const viewer = await openExposure(page, '_coadd.asdf');
    await drawCircle(page, viewer, 0, 20);
    const panel = page.locator('#roman-lab-sidebar');
    for (const [source, label] of [
      ['lineage', 'lineage'],
      ['local', 'local']
    ]) {
      await panel.locator('.jp-RomanSidebar-source').selectOption(source);
      await panel.locator('.jp-RomanSidebar-find').click();
      const box = panel.locator('.jp-RomanSidebar-exposures');
      await expect(box).toHaveAttribute('data-state', 'done', { timeout: 30000 });
      await expect(box).toContainText('exposure(s) cover this circle');
      const rows = box.locator('tr');
      expect(await rows.count()).toBeGreaterThanOrEqual(2);
      await expect(rows.first()).toContainText('_cal.asdf');
      await page.screenshot({ path: testInfo.outputPath(`exposures-${label}.png`) });
    }
  });

  test('circles export to a DS9 file and import back', async ({ page }) => {
    const { file } = await truth(page);
    const viewer = await openExposure(page, file);
    await drawCircle(page, viewer, -40, 25);
    const items = page.locator('#roman-lab-sidebar .jp-RomanSidebar-region');
    await expect(items).toHaveCount(1);
    const before = await items.first().locator('.jp-RomanSidebar-regionText').textContent();
    await page.locator('#roman-lab-sidebar .jp-RomanSidebar-exportDs9').click();
    const reg = `demo/${file.replace(/\.asdf$/, '')}.reg`;
    // the export saves asynchronously: the file appears when the contents API has written it
    await expect.poll(async () => (await page.request.get(`/files/${reg}`)).text(), { timeout: 10000 }).toMatch(/circle\(/);
    await items.first().locator('.jp-RomanSidebar-delete').click();
    await expect(items).toHaveCount(0);
    await page.locator('#roman-lab-sidebar .jp-RomanSidebar-importDs9').click();
    const dialog = page.locator('.jp-Dialog');
    await dialog.locator('.jp-DirListing-item', { hasText: '.reg' }).first().click();
    await dialog.locator('.jp-Dialog-button.jp-mod-accept').click();
    await expect(items).toHaveCount(1);
    expect(await items.first().locator('.jp-RomanSidebar-regionText').textContent()).toBe(before);
    await page.contents.deleteFile(reg);
  });
});
