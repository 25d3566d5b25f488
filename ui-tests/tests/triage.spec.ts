/**
 * Triage (issue 18) on the demo: the mosaic's exposures behind the faint cosmic ray the pipeline
 * did not flag, triaged at once; the exposure hiding it comes first and opens its ramps with
 * the hit's pixel emphasised.
 */
import { expect, test } from '@jupyterlab/galata';

import { ICosmicRay, openByDoubleClick, truth } from './roman';

test.describe('Triage', () => {
  test('the exposure hiding an unflagged jump in the circle comes first and opens its ramps', async ({ page }, testInfo) => {
    test.setTimeout(180000);
    const blink = ((await truth(page)) as unknown as { blink: { mosaic: string; cosmic_ray: ICosmicRay } }).blink;
    const cr = blink.cosmic_ray;
    const viewer = await openByDoubleClick(page, blink.mosaic);
    await page.sidebar.openTab('roman-lab-sidebar');
    const panel = page.locator('#roman-lab-sidebar');
    await panel.locator('.jp-RomanSidebar-gotoText').fill(`${cr.ra} ${cr.dec}`);
    await panel.locator('.jp-RomanSidebar-gotoForm button').click();
    // a circle of 2.5 arcsec on the hit: one of 1 pixel gives the mosaic's scale there
    const region = panel.locator('.jp-RomanSidebar-region');
    const addCircle = (r: number) =>
      page.evaluate(r => {
        const content = (window as any).jupyterapp.shell.currentWidget.content;
        const view = content.imageView.view;
        content.circles.add(view.centerX, view.centerY, r);
      }, r);
    await addCircle(1);
    const arcsecPerPixel = Number(/r (\S+)″/.exec((await region.first().locator('.jp-RomanSidebar-regionText').textContent())!)![1]);
    await region.first().locator('.jp-RomanSidebar-delete').click();
    await addCircle(2.5 / arcsecPerPixel);
    await expect(region).toHaveCount(1);

    await panel.locator('.jp-RomanSidebar-source').selectOption('lineage');
    await panel.locator('.jp-RomanSidebar-find').click();
    await panel.locator('.jp-RomanSidebar-loadAll').click({ timeout: 30000 });
    await expect(viewer).toHaveAttribute('data-adding', '0', { timeout: 60000 });
    const exposures = Number(await viewer.getAttribute('data-stack-size')) - 1;

    await region.locator('.jp-RomanSidebar-triageRun').click();
    const box = region.locator('.jp-RomanSidebar-triage');
    await expect(box).toHaveAttribute('data-state', 'done', { timeout: 120000 });
    const items = box.locator('.jp-RomanSidebar-triageItem');
    await expect(items).toHaveCount(exposures);
    await expect(items.first()).toHaveAttribute('data-path', new RegExp(`${cr.exposure}$`));
    await expect(items.first().locator('.jp-RomanSidebar-triageBadge')).toContainText(/unflagged · \d+\.\dσ/);
    await page.screenshot({ path: testInfo.outputPath('triage.png') });
    // by time, then back
    await box.locator('.jp-RomanSidebar-triageSort').selectOption('time');
    await box.locator('.jp-RomanSidebar-triageSort').selectOption('strongest');

    // the jumps marked on the image follow the blink: on the exposure hiding one, none on the mosaic
    const outlines = viewer.locator('.jp-RomanPixelMarker-pixel');
    const show = (name: string) =>
      page.evaluate(name => {
        const view = (window as any).jupyterapp.shell.currentWidget.content.imageView;
        view.setCurrent(view.images.find((i: any) => name.includes(i.info.name)).id);
      }, name);
    await box.locator('.jp-RomanSidebar-triageMark input').check();
    await show(cr.exposure);
    await expect(outlines).not.toHaveCount(0);
    await page.screenshot({ path: testInfo.outputPath('triage-marks.png') });
    await show(blink.mosaic);
    await expect(outlines).toHaveCount(0);
    await show(cr.exposure);
    await box.locator('.jp-RomanSidebar-triageMark input').uncheck();
    await expect(outlines).toHaveCount(0);

    await items.first().click();
    const ramps = page.locator('.jp-RomanRamps');
    await expect(ramps).toHaveAttribute('data-state', 'ready', { timeout: 60000 });
    const shown = await page.evaluate(() => {
      const widgets = Array.from((window as any).jupyterapp.shell.widgets('main')) as any[];
      const content = widgets.find(w => w.content?.imageView).content;
      return { current: content.imageView.current.info.name };
    });
    expect(cr.exposure).toContain(shown.current);
    const jumps = await page.evaluate(() => {
      const widgets = Array.from((window as any).jupyterapp.shell.widgets('main')) as any[];
      return widgets.find(w => w.content?.rampSet).content.rampSet.jumps;
    });
    const hit = jumps.find((j: any) => !j.pipeline_flagged && cr.pixels.some(p => p.x === j.x && p.y === j.y));
    expect(hit, 'the faint hit is an unflagged jump of the ramps opened').toBeTruthy();
    expect(hit.resultant).toBe(cr.resultant);
    await page.screenshot({ path: testInfo.outputPath('triage-ramps.png') });
  });
});
