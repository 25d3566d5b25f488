/**
 * The lab UI in JupyterLab's Light and Dark themes at a narrow (260 px) and a wide (500 px)
 * panel: the Roman panel with a stack of three exposures and a residual, the viewer and the
 * ramps of a circle. Each
 * part has no serious or critical axe-core violation, every text reads at WCAG AA contrast, and
 * nothing runs past the panel's edge (a11y.ts).
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

import { axeViolations, keyboardProblems, lowContrast, overflows, pressedInShadow, textContrasts } from './a11y';
import { drawCircleAtCentre, openByDoubleClick, run, shownWidget, truth, viewerCell } from './roman';

type Page = IJupyterLabPageFixture;

/** The exposures make_truth.py's blink test uses, with the user's residual of the one with the glitch. */
interface IBlinkNames {
  glitch: string;
  exposures: Array<{ file: string }>;
  user_images: string[];
}

/**
 * The glitch's exposure open with two more exposures and its residual in its blink stack, one of
 * them marked, a circle drawn with its exposures and triage listed and its ramps open.
 */
async function stackOfFour(page: Page): Promise<void> {
  const blink = ((await truth(page)) as unknown as { blink: IBlinkNames }).blink;
  const viewer = await openByDoubleClick(page, blink.glitch);
  const others = blink.exposures.map(e => e.file).filter(f => f !== blink.glitch && f.includes('wfi03'));
  const added = [...others.slice(0, 2), blink.user_images[1]];
  await page.locator('.jp-DirListing-item', { hasText: added[0] }).click();
  for (const name of added.slice(1)) {
    await page.locator('.jp-DirListing-item', { hasText: name }).click({ modifiers: ['Control'] });
  }
  await page.locator('.jp-DirListing-item', { hasText: added[0] }).click({ button: 'right' });
  await page.locator('.lm-Menu-item', { hasText: 'Add to Blink Stack' }).click();
  await expect(viewer).toHaveAttribute('data-stack-size', '4', { timeout: 60000 });
  await expect(viewer).toHaveAttribute('data-adding', '0', { timeout: 60000 });
  await page.sidebar.openTab('roman-lab-sidebar');
  await drawCircleAtCentre(page, viewer.locator('canvas'), 20);
  // an image marked suspicious
  await page.locator('#roman-lab-sidebar .jp-RomanSidebar-stackItem').nth(1).locator('.jp-RomanSidebar-mark').click();
  await expect(page.locator('#roman-lab-sidebar .jp-RomanSidebar-stackItem[data-mark="suspicious"]')).toHaveCount(1);
  // the boxes under the circle: its exposures and its triage
  const region = page.locator('#roman-lab-sidebar .jp-RomanSidebar-region');
  await region.locator('.jp-RomanSidebar-find').click();
  await expect(region.locator('.jp-RomanSidebar-exposures')).toHaveAttribute('data-state', 'done', { timeout: 30000 });
  await region.locator('.jp-RomanSidebar-triageRun').click();
  await expect(region.locator('.jp-RomanSidebar-triage')).toHaveAttribute('data-state', 'done', { timeout: 120000 });
  // the manual interval shows its vmin and vmax fields
  await page.locator('#roman-lab-sidebar .jp-RomanSidebar-interval').selectOption('manual');
  // the ramps of the circle open in their tab
  await page.locator('#roman-lab-sidebar .jp-RomanSidebar-ramps').click();
  await expect(page.locator('.jp-RomanRamps')).toHaveAttribute('data-state', 'ready', { timeout: 60000 });
}

/** What does not fit in each section of the panel (each scrolls on its own). */
async function sectionOverflows(panel: Locator): Promise<string[]> {
  const sections = await panel.locator('.jp-RomanSidebar-section').all();
  return (await Promise.all(sections.map(section => overflows(section)))).flat();
}

const THEMES = [
  ['light', 'JupyterLab Light'],
  ['dark', 'JupyterLab Dark']
] as const;

// a laptop screen: at a 500 px panel the viewer and its ramps tab split the rest
test.use({ viewport: { width: 1280, height: 800 } });

test.describe('The lab in both themes at any panel width', () => {
  test('the Roman panel, the viewer and the ramps read well and fit at 260 and 500 px', async ({ page }, testInfo) => {
    test.setTimeout(300000);
    await stackOfFour(page);
    const panel = page.locator('#roman-lab-sidebar');
    const problems: string[] = [];
    const lowest: Record<string, number> = {};
    for (const [short, theme] of THEMES) {
      await page.theme.setTheme(theme);
      for (const width of [260, 500]) {
        await page.sidebar.setWidth(width, 'left');
        await expect.poll(async () => Math.round((await panel.boundingBox())!.width)).toBeGreaterThanOrEqual(width - 20);
        const where = `${short} ${width}px`;
        await page.screenshot({ path: testInfo.outputPath(`lab-${short}-${width}.png`) });
        const contrasts = [
          ...(await textContrasts(panel)),
          ...(await textContrasts(page.locator('.jp-RomanViewer-status'))),
          ...(await textContrasts(page.locator('.jp-RomanRamps')))
        ];
        lowest[where] = Math.min(...contrasts.map(t => t.ratio));
        problems.push(
          ...lowContrast(contrasts).map(p => `${where} contrast ${p}`),
          ...(await sectionOverflows(panel)).map(p => `${where} overflow ${p}`),
          ...(await overflows(page.locator('.jp-RomanViewer-status'))).map(p => `${where} status line ${p}`),
          ...(await overflows(page.locator('.jp-RomanRamps'))).map(p => `${where} ramps ${p}`),
          ...(await axeViolations(page, '#roman-lab-sidebar')).map(p => `${where} axe panel ${p}`),
          ...(await axeViolations(page, '.jp-RomanDocument')).map(p => `${where} axe viewer ${p}`),
          ...(await axeViolations(page, '.jp-RomanRamps')).map(p => `${where} axe ramps ${p}`)
        );
      }
    }
    console.log(`lowest text contrast: ${JSON.stringify(lowest)}`);
    // every control of the panel is reached by Tab and shows where the focus is
    problems.push(...(await keyboardProblems(page, panel)).map(p => `keyboard ${p}`));
    // the viewer's toolbar: icons with a tooltip naming the key, the active tool pressed
    const tool = (id: string) => page.locator(`.jp-RomanDocument .jp-Toolbar jp-button.jp-RomanTool-${id}`);
    await expect(tool('circle')).toHaveAttribute('title', /^Circle \(C\)/);
    await expect(tool('circle').locator('svg')).toHaveCount(1);
    expect(await pressedInShadow(tool('pan'))).toBe('true');
    expect(await pressedInShadow(tool('circle'))).toBe('false');
    expect(problems).toEqual([]);
  });

  test('the notebook widget reads well in both themes', async ({ page }, testInfo) => {
    test.setTimeout(240000);
    const { file } = await truth(page);
    await page.notebook.createNew('theme-widget.ipynb');
    await run(page, viewerCell([file, file.replace('_0001_', '_0002_')]));
    const widget = await shownWidget(page);
    const pan = widget.locator('.roman-widget-pan');
    await expect(pan).toHaveAttribute('title', /^Pan \(P\)/);
    await expect(pan).toHaveAttribute('aria-pressed', 'true');
    await expect(pan.locator('svg')).toHaveCount(1);
    const problems: string[] = [];
    for (const [short, theme] of THEMES) {
      await page.theme.setTheme(theme);
      await widget.scrollIntoViewIfNeeded();
      await widget.screenshot({ path: testInfo.outputPath(`widget-${short}.png`) });
      problems.push(
        ...lowContrast(await textContrasts(widget)).map(p => `${short} contrast ${p}`),
        ...(await overflows(widget.locator('.roman-widget-toolbar'))).map(p => `${short} toolbar ${p}`),
        ...(await axeViolations(page, '.roman-widget')).map(p => `${short} axe ${p}`)
      );
    }
    problems.push(...(await keyboardProblems(page, widget.locator('.roman-widget-toolbar'))).map(p => `keyboard ${p}`));
    expect(problems).toEqual([]);
  });

  test('the panel\'s sections fold, and stay folded after a reload', async ({ page }) => {
    await page.sidebar.openTab('roman-lab-sidebar');
    const panel = page.locator('#roman-lab-sidebar');
    const titles = panel.locator('.lm-AccordionPanel-title');
    await expect(titles).toHaveText(['Display', 'Blink stack', 'Regions', 'Ramps', 'Server']);
    const server = titles.filter({ hasText: 'Server' });
    await expect(server).toHaveAttribute('aria-expanded', 'true');
    await server.click();
    await expect(server).toHaveAttribute('aria-expanded', 'false');
    await expect(panel.locator('.jp-RomanSidebar-server')).toBeHidden();
    await page.waitForTimeout(1500); // JupyterLab writes its state to the workspace 750 ms after a change
    await page.reload();
    await page.sidebar.openTab('roman-lab-sidebar');
    await expect(panel.locator('.lm-AccordionPanel-title', { hasText: 'Server' })).toHaveAttribute('aria-expanded', 'false');
    await expect(panel.locator('.lm-AccordionPanel-title', { hasText: 'Display' })).toHaveAttribute('aria-expanded', 'true');
    // unfolded again for the other tests (the state database outlives the page)
    await panel.locator('.lm-AccordionPanel-title', { hasText: 'Server' }).click();
    await expect(panel.locator('.jp-RomanSidebar-server')).toBeVisible();
  });
});
