import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { openByDoubleClick, truth } from './roman';

type Page = IJupyterLabPageFixture;

interface IBlink {
  glitch: string;
  user_images: string[];
  star: { ra: number; dec: number };
}

/** The active viewer's state as the page sees it. */
function viewerState(page: Page) {
  return page.evaluate(() => {
    const widgets = Array.from((window as any).jupyterapp.shell.widgets('main')) as any[];
    const content = widgets.find(w => w.content?.imageView).content;
    const view = content.imageView;
    return {
      images: view.images.map((image: any) => image.id),
      marks: view.images.map((image: any) => image.info.mark),
      current: view.current.id,
      stretch: view.displaySettings.stretch.name,
      circles: content.circles.circles.length,
      zoom: view.view.zoom
    };
  });
}

test.describe('View state', () => {
  test('a saved view comes back from its .romanview.json: stack, marks, display, view, circles and the ramp panel', async ({ page }, testInfo) => {
    const blink = ((await truth(page)) as unknown as { blink: IBlink }).blink;
    const viewer = await openByDoubleClick(page, blink.glitch);
    await page.evaluate(
      async paths => {
        const content = (window as any).jupyterapp.shell.currentWidget.content;
        await content.addImages(paths);
        const view = content.imageView;
        view.mark(view.images[2].id, 'suspicious');
        view.setDisplay({ stretch: { name: 'sqrt' } });
        view.setCurrent(1);
        view.setView(100, 120, 4);
        content.circles.add(100, 120, 6);
        view.setCurrent(0);
        await (window as any).jupyterapp.commands.execute('roman-lab:ramps');
        view.setCurrent(1);
      },
      blink.user_images.slice(0, 2).map(name => `demo/${name}`)
    );
    await expect(viewer).toHaveAttribute('data-stack-size', '3');
    const before = await viewerState(page);
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('roman-lab:save-state', { path: 'demo/saved.romanview.json' }));
    await expect(page.locator('.jp-toast-container, .Toastify')).toContainText('Saved the view (3 images)');
    const saved = JSON.parse((await (await page.request.get('/files/demo/saved.romanview.json')).text()) as string);
    expect(saved.format).toBe('roman-lab-view');
    expect(saved.images.map((i: any) => i.path)).toEqual([blink.glitch, ...blink.user_images.slice(0, 2)]);
    expect(saved.ramp_selection).toEqual({ image: saved.images[0].id, region: saved.regions[0].id });

    await page.evaluate(() => (window as any).jupyterapp.commands.execute('application:close-all'));
    await page.filebrowser.refresh();
    await page.locator('.jp-DirListing-item', { hasText: 'saved.romanview.json' }).dblclick();
    const restored = page.locator('.jp-RomanViewer');
    await expect(restored).toHaveAttribute('data-restored', '3', { timeout: 30000 });
    // the ramp panel comes back too, on the exposure
    await expect(page.locator('.jp-RomanRamps')).toHaveAttribute('data-state', 'ready', { timeout: 30000 });
    await page.evaluate(() => {
      const widgets = Array.from((window as any).jupyterapp.shell.widgets('main')) as any[];
      widgets.find(w => w.content?.imageView).content.imageView.setCurrent(1); // the image shown when saved
    });
    const after = await viewerState(page);
    expect(after).toEqual(before);
    await page.screenshot({ path: testInfo.outputPath('restored.png') });
    await page.contents.deleteFile('demo/saved.romanview.json');
  });

  test('a state with a missing image restores the rest and names it; a newer format is refused', async ({ page }) => {
    const blink = ((await truth(page)) as unknown as { blink: IBlink }).blink;
    const image = (id: string, path: string) => ({
      id,
      path,
      name: path,
      kind: 'exposure',
      wcs_from: null,
      mark: null,
      meta: { time: null, detector: null, level: 2 }
    });
    const state = { format: 'roman-lab-view', version: 1, images: [image('a', blink.glitch), image('b', 'gone_cal.asdf')] };
    await page.contents.uploadContent(JSON.stringify(state), 'text', 'demo/partial.romanview.json');
    await page.contents.uploadContent(JSON.stringify({ ...state, version: 7 }), 'text', 'demo/newer.romanview.json');
    await page.filebrowser.openDirectory('demo');
    await page.locator('.jp-DirListing-item', { hasText: 'partial.romanview.json' }).dblclick();
    await expect(page.locator('.jp-RomanViewer')).toHaveAttribute('data-restored', '1', { timeout: 30000 });
    await expect(page.locator('.jp-toast-container, .Toastify')).toContainText('1 missing image(s): gone_cal.asdf');
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('application:close-all'));
    await page.locator('.jp-DirListing-item', { hasText: 'newer.romanview.json' }).dblclick();
    await expect(page.locator('.jp-RomanViewer')).toHaveAttribute('data-ready', 'error');
    await expect(page.locator('.jp-RomanViewer-progressLabel')).toContainText('newer roman-lab (format version 7)');
    await page.contents.deleteFile('demo/partial.romanview.json');
    await page.contents.deleteFile('demo/newer.romanview.json');
  });
});
