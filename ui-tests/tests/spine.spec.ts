import { expect, test } from '@jupyterlab/galata';

/** The small demo field lives in `demo/` under the server root (made by `make test`). */
const DEMO_DIR = 'demo';

test.describe('roman-lab spine', () => {
  test('the Roman sidebar opens and reaches the server extension', async ({ page }, testInfo) => {
    await page.sidebar.openTab('roman-lab-sidebar');
    const panel = page.locator('#roman-lab-sidebar');
    await expect(panel.locator('.jp-RomanSidebar-header')).toHaveText('Roman');
    const server = panel.locator('.jp-RomanSidebar-server');
    await expect(server).toHaveAttribute('data-state', 'ok');
    await expect(server).toContainText('roman-lab 0.1.0');
    await expect(server).toContainText('roman_datamodels');
    await page.screenshot({ path: testInfo.outputPath('sidebar.png') });
  });

  test('right-click on an .asdf file offers "Open in Roman Viewer" and opens it', async ({
    page
  }, testInfo) => {
    await page.filebrowser.openDirectory(DEMO_DIR);
    const item = page.locator('.jp-DirListing-item[data-file-type="roman-asdf"]').first();
    await expect(item).toBeVisible();
    const name = (await item.locator('.jp-DirListing-itemText').textContent())!.trim();
    await item.click({ button: 'right' });
    const entry = page.locator('.lm-Menu-itemLabel', { hasText: 'Open in Roman Viewer' });
    await expect(entry).toBeVisible();
    await page.screenshot({ path: testInfo.outputPath('context-menu.png') });
    await entry.click();
    await expect(page.locator('.jp-RomanViewer-name')).toHaveText(name);
    await expect(page.locator('.jp-RomanViewer')).toHaveAttribute('data-ready', 'complete', { timeout: 30000 });
    await expect(page.locator('#roman-lab-sidebar .jp-RomanSidebar-viewer')).toContainText(name);
    await page.screenshot({ path: testInfo.outputPath('viewer.png') });
  });

  test('the context menu leaves other files alone', async ({ page }) => {
    await page.filebrowser.openDirectory(DEMO_DIR);
    const notebook = page.locator('.jp-DirListing-item[data-file-type="notebook"]').first();
    await notebook.click({ button: 'right' });
    await expect(page.locator('.lm-Menu-itemLabel', { hasText: 'Open' }).first()).toBeVisible();
    await expect(page.locator('.lm-Menu-itemLabel', { hasText: 'Open in Roman Viewer' })).toHaveCount(0);
  });

  test('"Open in Roman Viewer" from the command palette asks for a Roman file', async ({ page }) => {
    await page.locator('#jp-main-dock-panel').click();
    await page.keyboard.press('Control+Shift+C');
    const palette = page.locator('#modal-command-palette');
    await palette.locator('input').fill('Open in Roman Viewer');
    const item = palette.locator('.lm-CommandPalette-item', { hasText: 'Open in Roman Viewer' });
    await expect(item).toBeVisible();
    await item.click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('Open in Roman Viewer');
    await dialog.locator('.jp-DirListing-item', { hasText: DEMO_DIR }).dblclick();
    await expect(dialog.locator('.jp-DirListing-item[data-file-type="roman-asdf"]').first()).toBeVisible();
    await expect(dialog.locator('.jp-DirListing-item[data-file-type="notebook"]')).toHaveCount(0);
    await dialog.locator('.jp-DirListing-item[data-file-type="roman-asdf"]').first().click();
    await dialog.locator('.jp-Dialog-button.jp-mod-accept').click();
    await expect(page.locator('.jp-RomanViewer-name')).toBeVisible();
  });
});
