/**
 * The science case on real products (issue 15): romanisim L1 ramps, romancal L2 exposures and a
 * romancal L3 mosaic (`make real-data`), served by a JupyterLab rooted at them (real_root.py).
 * Each step's time is attached to the report as real-timings.json.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator, TestInfo } from '@playwright/test';

import { lowContrast, textContrasts } from './a11y';
import { pixelOnPage } from './roman';

type Page = IJupyterLabPageFixture;

interface IHit {
  x: number;
  y: number;
  resultant: number;
}

/** real_root.py's real.json: what the corpus's truth.json and Python say about these files. */
interface IReal {
  mosaic: string;
  members: string[];
  centre_radec: [number, number];
  covered_by: string[];
  bandpass: string;
  exposures: Record<
    string,
    { detector: string; start_time: string; l1: string; filter: string; exposure_time: number; read_pattern: number[][] }
  >;
  ramps: { exposure: string; flagged: IHit; missed: IHit };
  residual: string;
}

async function real(page: Page): Promise<IReal> {
  return (await (await page.request.get('/files/real.json')).json()) as IReal;
}

/** Times each step from the user's action to what they see, for the closing note. */
class Steps {
  private readonly times: Record<string, number> = {};
  constructor(private readonly testInfo: TestInfo) {}

  async time(name: string, step: () => Promise<void>): Promise<void> {
    const t0 = Date.now();
    await step();
    this.times[name] = (Date.now() - t0) / 1000;
  }

  async attach(): Promise<void> {
    await this.testInfo.attach('real-timings.json', { body: JSON.stringify(this.times, null, 1), contentType: 'application/json' });
    console.log(`${this.testInfo.title}\n${Object.entries(this.times).map(([k, v]) => `  ${v.toFixed(2)} s  ${k}`).join('\n')}`);
  }
}

function viewerContent(page: Page) {
  return page.evaluate(() => {
    const widgets = Array.from((window as any).jupyterapp.shell.widgets('main')) as any[];
    const view = widgets.find(w => w.content?.imageView).content.imageView;
    return { images: view.images.map((i: any) => i.info.name), current: view.current.info.name, zoom: view.view.zoom };
  });
}

/** Double-clicks a file at the root; times its first pixels and its complete store. */
async function openFromBrowser(page: Page, name: string, steps: Steps, what: string): Promise<Locator> {
  await page.sidebar.openTab('filebrowser');
  await page.filebrowser.openHomeDirectory(); // the corpus is at the root; Galata starts in a test folder
  const item = page.locator('.jp-DirListing-item', { hasText: name });
  await expect(item).toBeVisible();
  const viewer = page.locator('.jp-RomanViewer');
  await steps.time(`open ${what} from the file browser -> first pixels (display-ready)`, async () => {
    await item.dblclick();
    await expect(viewer).toHaveAttribute('data-ready', /^(display|complete)$/, { timeout: 60000 });
  });
  await steps.time(`... -> store complete, view drawn`, async () => {
    await expect(viewer).toHaveAttribute('data-ready', 'complete', { timeout: 60000 });
    await expect(viewer.locator('canvas')).toHaveAttribute('data-pending', '0', { timeout: 60000 });
  });
  return viewer;
}

async function drawCircle(page: Page, canvas: Locator, x: number, y: number, radiusCss: number): Promise<void> {
  await page.locator('.jp-RomanTool-circle').click();
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + radiusCss, y, { steps: 4 });
  await page.mouse.up();
  await page.locator('.jp-RomanTool-pan').click();
}

/** The jumps of every ramp panel in the main area (one panel a circle). */
function rampJumps(page: Page): Promise<Array<{ x: number; y: number; resultant: number; pipeline_flagged: boolean }>> {
  return page.evaluate(() => {
    const widgets = Array.from((window as any).jupyterapp.shell.widgets('main')) as any[];
    return widgets.filter(w => w.content?.rampSet).flatMap(w => w.content.rampSet.jumps);
  });
}

test.describe('Real products (romanisim + romancal)', () => {
  test('mosaic -> circle -> its exposures from the lineage -> blink aligned', async ({ page }, testInfo) => {
    test.setTimeout(300000);
    const truth = await real(page);
    const steps = new Steps(testInfo);
    const viewer = await openFromBrowser(page, truth.mosaic, steps, 'the romancal L3 (never seen: converted)');
    const canvas = viewer.locator('canvas');
    await page.sidebar.openTab('roman-lab-sidebar');
    const panel = page.locator('#roman-lab-sidebar');

    // go to the mosaic's centre (covered by every member) and zoom in with the wheel
    const [ra, dec] = truth.centre_radec;
    await panel.locator('.jp-RomanSidebar-gotoText').fill(`${ra.toFixed(7)} ${dec.toFixed(7)}`);
    await panel.locator('.jp-RomanSidebar-gotoForm button').click();
    const box = (await canvas.boundingBox())!;
    const before = (await viewerContent(page)).zoom;
    await steps.time('zoom in 8 wheel steps at the centre, drawn', async () => {
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      for (let i = 0; i < 8; i++) {
        await page.mouse.wheel(0, -200);
      }
      await expect.poll(async () => (await viewerContent(page)).zoom).toBeGreaterThan(before * 8);
      await expect(canvas).toHaveAttribute('data-pending', '0', { timeout: 30000 });
    });
    await drawCircle(page, canvas, box.x + box.width / 2, box.y + box.height / 2, 20);
    await expect(panel.locator('.jp-RomanSidebar-region')).toHaveCount(1);
    await page.screenshot({ path: testInfo.outputPath('real-mosaic-circle.png') });

    // the exposures behind it, from the mosaic's own lineage (its members and context)
    const found = panel.locator('.jp-RomanSidebar-exposures');
    await steps.time('Find exposures (lineage) -> table', async () => {
      await panel.locator('.jp-RomanSidebar-source').selectOption('lineage');
      await panel.locator('.jp-RomanSidebar-find').click();
      await expect(found).toHaveAttribute('data-state', 'done', { timeout: 60000 });
    });
    const rows = found.locator('tr');
    await expect(rows).toHaveCount(truth.covered_by.length);
    for (const name of truth.covered_by) {
      const row = rows.filter({ hasText: name });
      const meta = truth.exposures[name];
      // the metadata the table lists is what roman_datamodels reads in the files
      await expect(row).toContainText(meta.start_time.replace('T', ' ').slice(0, 19));
      await expect(row).toContainText(`${meta.detector} · ${meta.filter}`);
      await expect(row).toContainText(`${Math.round(meta.exposure_time)} s`);
    }
    await page.screenshot({ path: testInfo.outputPath('real-lineage.png') });

    // load them all: the mosaic and its members in one stack, drawn aligned on the mosaic
    await steps.time('Load all -> every exposure in the stack and blinkable at this view', async () => {
      await panel.locator('.jp-RomanSidebar-loadAll').click();
      await expect(viewer).toHaveAttribute('data-stack-size', String(truth.covered_by.length + 1), { timeout: 120000 });
      await expect(viewer).toHaveAttribute('data-adding', '0', { timeout: 120000 });
      await expect(canvas).toHaveAttribute('data-stack-ready', String(truth.covered_by.length + 1), { timeout: 120000 });
    });
    const items = panel.locator('.jp-RomanSidebar-stackItem');
    for (const name of truth.covered_by) {
      await expect(items.filter({ hasText: name })).toContainText(truth.exposures[name].detector);
    }
    // blink: N goes through every image, each drawn complete (its chunks were prefetched)
    const seen = new Set<string>();
    await steps.time(`blink: ${truth.covered_by.length + 1} presses of N, each drawn`, async () => {
      for (let i = 0; i <= truth.covered_by.length; i++) {
        await canvas.press('n');
        await expect(canvas).toHaveAttribute('data-pending', '0');
        seen.add((await viewerContent(page)).current);
      }
    });
    expect([...seen].sort()).toEqual([truth.mosaic, ...truth.covered_by].sort());
    await page.screenshot({ path: testInfo.outputPath('real-blink.png') });

    // triage the ramps of the three exposures in the circle at once (their L1s converted cold)
    const triage = panel.locator('.jp-RomanSidebar-triage');
    await steps.time('Triage -> the ramps of every exposure in the circle (L1s converted cold), listed', async () => {
      await panel.locator('.jp-RomanSidebar-triageRun').click();
      await expect(triage).toHaveAttribute('data-state', 'done', { timeout: 180000 });
    });
    await expect(triage.locator('.jp-RomanSidebar-triageItem')).toHaveCount(truth.covered_by.length);
    await expect(triage.locator('.jp-RomanSidebar-triageBadge').first()).toContainText(/unflagged|no unflagged jump/);
    await page.screenshot({ path: testInfo.outputPath('real-triage.png') });
    // the same panel and viewer in JupyterLab Dark: these real names, detectors and badges read at WCAG AA
    await page.theme.setTheme('JupyterLab Dark');
    // the circle is still drawn: its layer still covers the view (it was left 0 x 0, which SVG
    // does not draw, when the theme changed while the view stood still)
    await expect(viewer.locator('.jp-RomanCircle')).toHaveCount(1);
    const layer = (await viewer.locator('.jp-RomanCircles').boundingBox())!;
    expect(Math.round(layer.width)).toBe(Math.round((await canvas.boundingBox())!.width));
    await page.screenshot({ path: testInfo.outputPath('real-triage-dark.png') });
    const dark = [...(await textContrasts(panel)), ...(await textContrasts(page.locator('.jp-RomanViewer-status')))];
    expect(dark.length).toBeGreaterThan(10);
    expect(lowContrast(dark)).toEqual([]);
    await page.theme.setTheme('JupyterLab Light');
    await steps.attach();
  });

  test('ramps of a real L2 with its L1: a flagged and an unflagged cosmic ray; residual; save and restore', async ({
    page
  }, testInfo) => {
    test.setTimeout(300000);
    const truth = await real(page);
    const steps = new Steps(testInfo);
    const { exposure, flagged, missed } = truth.ramps;
    const viewer = await openFromBrowser(page, exposure, steps, 'a romancal L2 (its store made by the first test)');
    const canvas = viewer.locator('canvas');
    await page.sidebar.openTab('roman-lab-sidebar');
    const panel = page.locator('#roman-lab-sidebar');
    const ramps = page.locator('.jp-RomanRamps').last(); // the panel of the newest circle

    for (const [label, hit, pipelineFlagged] of [
      ['flagged', flagged, true],
      ['missed', missed, false]
    ] as Array<[string, IHit, boolean]>) {
      await page.evaluate(([x, y]) => {
        const widgets = Array.from((window as any).jupyterapp.shell.widgets('main')) as any[];
        widgets.find(w => w.content?.imageView).content.imageView.setView(x, y, 12);
      }, [hit.x, hit.y]);
      await expect(canvas).toHaveAttribute('data-pending', '0', { timeout: 30000 });
      const [sx, sy] = await pixelOnPage(canvas, hit.x, hit.y);
      await drawCircle(page, canvas, sx, sy, 30); // ~2.5 pixels
      await steps.time(`Ramps of a circle around the ${label} cosmic ray -> panel drawn${label === 'flagged' ? ' (L1 converted cold)' : ''}`, async () => {
        await panel.locator('.jp-RomanSidebar-region').last().locator('.jp-RomanSidebar-ramps').click();
        await expect(ramps).toHaveAttribute('data-state', 'ready', { timeout: 120000 });
        await expect
          .poll(async () => (await rampJumps(page)).find(j => j.x === hit.x && j.y === hit.y), { timeout: 30000 })
          .toBeTruthy();
      });
      // the read pattern the panel names is the L1's
      const frames = truth.exposures[exposure].read_pattern
        .map(g => (g.length === 1 ? `${g[0]}` : `${g[0]}–${g[g.length - 1]}`))
        .join(' | ');
      await expect(ramps).toContainText(`frames ${frames}`);
      const jump = (await rampJumps(page)).find(j => j.x === hit.x && j.y === hit.y)!;
      expect(jump.resultant, `the ${label} hit is at the resultant romanisim put it in`).toBe(hit.resultant);
      expect(jump.pipeline_flagged, `the ${label} hit's flag comes from romancal's recorded jumps`).toBe(pipelineFlagged);
      await expect(ramps.locator('.jp-RomanRampPanel-counts')).toContainText(pipelineFlagged ? /[1-9]\d* pipeline-flagged/ : /[1-9]\d* not flagged/);
      await page.screenshot({ path: testInfo.outputPath(`real-ramps-${label}.png`) });
      await page.evaluate(() => {
        const widgets = Array.from((window as any).jupyterapp.shell.widgets('main')) as any[];
        (window as any).jupyterapp.shell.activateById(widgets.find(w => w.content?.imageView).id);
      });
    }

    // the user's residual (a FITS image without a WCS) joins from the file browser and borrows the exposure's
    await page.sidebar.openTab('filebrowser');
    await steps.time('Add to Blink Stack (the residual FITS) -> in the stack', async () => {
      await page.locator('.jp-DirListing-item', { hasText: truth.residual }).click({ button: 'right' });
      await page.locator('.lm-Menu-item', { hasText: 'Add to Blink Stack' }).click();
      await expect(viewer).toHaveAttribute('data-stack-size', '2', { timeout: 60000 });
      await expect(viewer).toHaveAttribute('data-adding', '0', { timeout: 60000 });
    });
    await page.sidebar.openTab('roman-lab-sidebar');
    const residualItem = panel.locator('.jp-RomanSidebar-stackItem', { hasText: truth.residual });
    await expect(residualItem.locator('.jp-RomanSidebar-wcsFrom')).toHaveValue(exposure);
    await residualItem.locator('.jp-RomanSidebar-stackName').click();
    await expect(canvas).toHaveAttribute('data-pending', '0', { timeout: 30000 });
    await page.screenshot({ path: testInfo.outputPath('real-residual.png') });

    // save, close everything, open the state file: the stack and the ramp panel come back
    const before = await viewerContent(page);
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('roman-lab:save-state', { path: 'real.romanview.json' }));
    await expect(page.locator('.jp-toast-container, .Toastify')).toContainText('Saved the view (2 images)');
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('application:close-all'));
    await page.sidebar.openTab('filebrowser');
    await page.filebrowser.openHomeDirectory();
    await steps.time('open the saved .romanview.json -> images and ramp panel back', async () => {
      await page.locator('.jp-DirListing-item', { hasText: 'real.romanview.json' }).dblclick();
      await expect(page.locator('.jp-RomanViewer')).toHaveAttribute('data-restored', '2', { timeout: 60000 });
      await expect(page.locator('.jp-RomanRamps')).toHaveAttribute('data-state', 'ready', { timeout: 60000 });
    });
    const after = await viewerContent(page);
    expect(after.images).toEqual(before.images);
    await page.screenshot({ path: testInfo.outputPath('real-restored.png') });
    await page.contents.deleteFile('real.romanview.json');
    await steps.attach();
  });
});
