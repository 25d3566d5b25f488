/**
 * The viewer's keys are JupyterLab commands with shortcuts (src/lab/viewerKeys.ts): they act on
 * the focused image, show in the command palette, and the toolbar's "Keyboard shortcuts" lists
 * them as they are bound.
 */
import { expect, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

import { axeViolations } from './a11y';
import { openByDoubleClick, truth } from './roman';

function zoom(canvas: Locator): Promise<number> {
  return canvas.evaluate((c: HTMLCanvasElement) => Number(c.dataset.zoom));
}

test.describe('Viewer keys', () => {
  test('each key is a command with a shortcut, listed by the viewer\'s Keyboard shortcuts', async ({ page }, testInfo) => {
    const viewer = await openByDoubleClick(page, (await truth(page)).file);
    const canvas = viewer.locator('canvas');
    await canvas.click();
    const before = await zoom(canvas);
    await canvas.press('=');
    await expect.poll(() => zoom(canvas)).toBeCloseTo(before * 2, 5);
    await canvas.press('-');
    await expect.poll(() => zoom(canvas)).toBeCloseTo(before, 5);
    const x = await canvas.evaluate((c: HTMLCanvasElement) => Number(c.dataset.centerX));
    await canvas.press('ArrowLeft');
    await expect.poll(() => canvas.evaluate((c: HTMLCanvasElement) => Number(c.dataset.centerX))).toBeLessThan(x);

    // the shortcuts are JupyterLab's key bindings, scoped to the viewer
    const bindings = await page.evaluate(() =>
      (window as any).jupyterapp.commands.keyBindings
        .filter((b: any) => b.command.startsWith('roman-lab:') && b.selector === '.jp-RomanViewer')
        .map((b: any) => `${b.command} ${b.keys.join(' ')}`)
    );
    for (const expected of ['roman-lab:zoom-in =', 'roman-lab:pan-left ArrowLeft', 'roman-lab:next-image N', 'roman-lab:blink Space', 'roman-lab:delete-circle Delete']) {
      expect(bindings).toContain(expected);
    }

    // the toolbar's help lists them, with their palette labels
    await page.locator('.jp-RomanDocument .jp-Toolbar jp-button.jp-RomanTool-keys').click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog.locator('.jp-RomanKeyHelp')).toBeVisible();
    await expect(dialog.locator('tr', { hasText: 'Next Image in the Blink Stack' }).locator('th')).toContainText('N');
    await expect(dialog.locator('tr', { hasText: 'Pan Tool' }).locator('th')).toHaveText('P');
    expect(await axeViolations(page, '.jp-Dialog')).toEqual([]);
    await page.screenshot({ path: testInfo.outputPath('keyboard-shortcuts.png') });
    await dialog.locator('button', { hasText: 'Close' }).click();

    // and the command palette has them
    await page.keyboard.press('Control+Shift+C');
    await page.locator('.lm-CommandPalette-input').fill('Roman Viewer Keyboard');
    await expect(page.locator('.lm-CommandPalette-item', { hasText: 'Roman Viewer Keyboard Shortcuts' })).toBeVisible();
  });
});
