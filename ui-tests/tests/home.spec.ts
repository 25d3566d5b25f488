/**
 * The whole lab as most users run it (issue 14): `cd ~/project && jupyter lab`, so jupyter_server
 * hands extensions its root as `~/project`, served JupyterHub-style under /user/astro/, with the
 * data in a folder and under names users give them ('Données Roman/field #1 mosaic%20v2_i2d.asdf'),
 * read-only, and the stores in the user's default cache, ~/.cache/roman-lab/.
 *
 * Runs only in the `home` project, against the server home_server.sh starts (playwright.config.js).
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator, Response } from '@playwright/test';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { canvasPixels } from './roman';

type Page = IJupyterLabPageFixture;

const RUN = process.env.ROMAN_LAB_UI_HOME_RUN || path.resolve(__dirname, '../.home-run');
const HOME = path.join(RUN, 'home');
const PROJECT = path.join(HOME, 'project');
const STORES = path.join(HOME, '.cache', 'roman-lab', 'stores');
const BASE_URL = '/user/astro/';
const DATA_DIR = 'Données Roman';
const MOSAIC = 'field #1 mosaic%20v2_i2d.asdf';

/** The first L2 exposure of the demo copied into ~/project (its demo.json names it). */
function exposureName(): string {
  const demo = JSON.parse(fs.readFileSync(path.join(PROJECT, DATA_DIR, 'demo.json'), 'utf-8'));
  return demo.exposures[0].cal as string;
}

/** Sorted lines of `find` listing ~/project (path, type, size, mtime): now, or as home_server.sh listed it before the server started. */
function projectListing(now = true): string[] {
  const text = now
    ? execFileSync('find', ['.', '-printf', '%p\\t%y %s %T@\\n'], { cwd: PROJECT, encoding: 'utf-8' })
    : fs.readFileSync(path.join(RUN, 'project.manifest'), 'utf-8');
  return text
    .split('\n')
    .filter(line => line !== '')
    .sort();
}

/** The stores of the user's default cache: folder -> the source file it was made from, when complete. */
function storesInCache(): Map<string, string> {
  const stores = new Map<string, string>();
  if (!fs.existsSync(STORES)) {
    return stores;
  }
  for (const id of fs.readdirSync(STORES)) {
    try {
      const meta = JSON.parse(fs.readFileSync(path.join(STORES, id, 'zarr.json'), 'utf-8'));
      const attrs = meta.attributes?.roman_lab;
      if (attrs?.complete) {
        stores.set(id, attrs.source?.path);
      }
    } catch {
      // not a store (yet)
    }
  }
  return stores;
}

/**
 * Responses a user's lab must not get: any 4xx/5xx from roman-lab's API and stores, the contents
 * and files APIs, and any request to this server outside the base URL.
 */
function watchRequests(page: Page, origin: string): string[] {
  const bad: string[] = [];
  page.on('response', (response: Response) => {
    const url = new URL(response.url());
    if (url.origin !== origin) {
      return;
    }
    const outside = !url.pathname.startsWith(BASE_URL);
    const ours = /^\/user\/astro\/(roman-lab|files|api\/contents)\//.test(url.pathname);
    if (outside || (ours && response.status() >= 400)) {
      bad.push(`${response.request().method()} ${response.url()} -> ${response.status()}`);
    }
  });
  page.on('requestfailed', request => {
    if (new URL(request.url()).pathname.startsWith(`${BASE_URL}roman-lab/`)) {
      bad.push(`${request.method()} ${request.url()} -> ${request.failure()?.errorText}`);
    }
  });
  return bad;
}

/** Runs `check`; when it fails, tells what the page shows in `shown` and which requests went wrong. */
async function explained(shown: Locator, check: () => Promise<void>) {
  try {
    await check();
  } catch (err) {
    const text = (await shown.textContent())?.replace(/\s+/g, ' ').slice(0, 600);
    throw new Error(`${err}\nthe page shows: ${text}\nrequests that went wrong:\n${bad.join('\n')}`);
  }
}

/** Double-clicks into the data folder, then on `name`, and waits for the viewer to draw every chunk. */
async function openInDataFolder(page: Page, name: string) {
  const listing = page.locator('#filebrowser .jp-DirListing-content');
  await listing.getByText(DATA_DIR, { exact: true }).dblclick();
  await expect(page.locator('#filebrowser .jp-BreadCrumbs')).toContainText(DATA_DIR);
  await listing.getByText(name, { exact: true }).dblclick();
  const viewer = page.locator('.jp-RomanViewer');
  await expect(viewer.locator('.jp-RomanViewer-name')).toHaveText(name);
  const canvas = viewer.locator('canvas');
  await explained(viewer, async () => {
    // 'error' and 'notice' are final too: fail at once rather than after the timeout
    await expect(viewer).toHaveAttribute('data-ready', /^(complete|error|notice)$/, { timeout: 30000 });
    await expect(viewer).toHaveAttribute('data-ready', 'complete', { timeout: 1 });
    await expect(canvas).toHaveAttribute('data-pending', '0', { timeout: 30000 });
  });
  return { viewer, canvas };
}

/** The canvas shows an image: many pixels lit, many distinct grey values (not a blank or flat canvas). */
async function expectPixels(canvas: Locator) {
  const pixels = await canvasPixels(canvas);
  let lit = 0;
  const greys = new Set<number>();
  for (let i = 0; i < pixels.length; i += 4) {
    if (pixels[i + 3] === 0) {
      continue;
    }
    if (pixels[i] > 40) {
      lit++;
    }
    greys.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
  }
  expect(lit, 'pixels brighter than the background').toBeGreaterThan(100);
  expect(greys.size, 'distinct colours on the canvas').toBeGreaterThan(50);
}

/** Nothing written beside the data (it is read-only for a user), the store in ~/.cache/roman-lab/stores. */
function expectStoreInCacheOnly(file: string) {
  const source = fs.realpathSync(path.join(PROJECT, DATA_DIR, file));
  expect.soft([...storesInCache().values()], `complete stores in ${STORES}`).toContain(source);
  expect(projectListing(), 'what ~/project holds, against before the server started').toEqual(projectListing(false));
}

// Galata's default tmpPath would create (and delete) a folder in ~/project for every test: here
// nothing is created in it, and the lab opens at /user/astro/lab/ as a user opens it.
test.use({ tmpPath: '', autoGoto: false });
let bad: string[] = [];
test.beforeEach(async ({ page, baseURL }) => {
  bad = watchRequests(page, new URL(baseURL!).origin);
  await page.goto('?reset');
});

test.describe('roman-lab where users start it (cd ~/project && jupyter lab, under /user/astro/)', () => {
  test('the server is rooted at ~/project under /user/astro/ and the Roman sidebar reaches it', async ({
    page
  }) => {
    expect(new URL(page.url()).pathname).toMatch(/^\/user\/astro\/lab(\/|$)/);
    // jupyter_server collapses $HOME: what it hands extensions as server_root_dir, JupyterLab's serverRoot
    const config = JSON.parse((await page.locator('#jupyter-config-data').textContent())!);
    expect(config.serverRoot).toBe('~/project');
    expect(config.baseUrl).toBe(BASE_URL);
    // ... and the real root: the working directory home_server.sh started it in
    const runtime = path.join(HOME, '.local', 'share', 'jupyter', 'runtime');
    const infos = fs.readdirSync(runtime).filter(f => /^jpserver-\d+\.json$/.test(f));
    expect(infos).toHaveLength(1);
    const info = JSON.parse(fs.readFileSync(path.join(runtime, infos[0]), 'utf-8'));
    expect(info.root_dir).toBe(PROJECT);
    expect(info.base_url).toBe(BASE_URL);
    const log = fs.readFileSync(path.join(RUN, 'server.log'), 'utf-8');
    expect(log).toContain(`Serving notebooks from local directory: ${PROJECT}\n`);
    const listed = await page.request.get(`${BASE_URL}api/contents/${encodeURIComponent(DATA_DIR)}`);
    expect(listed.status()).toBe(200);
    expect(((await listed.json()).content as Array<{ name: string }>).map(f => f.name)).toContain(MOSAIC);

    await page.sidebar.openTab('roman-lab-sidebar');
    const server = page.locator('#roman-lab-sidebar .jp-RomanSidebar-server');
    await explained(server, async () => {
      await expect(server).toHaveAttribute('data-state', 'ok');
      await expect(server).toContainText('roman-lab 0.1.0');
    });
    expect(bad).toEqual([]);
  });

  test('double-click opens the renamed mosaic in "Données Roman" and draws it from ~/.cache', async ({
    page
  }, testInfo) => {
    const { canvas } = await openInDataFolder(page, MOSAIC);
    await page.screenshot({ path: testInfo.outputPath('mosaic.png') });
    await expectPixels(canvas);
    expect(bad).toEqual([]);
    expectStoreInCacheOnly(MOSAIC);
  });

  test('double-click opens an L2 _cal exposure there and draws it from ~/.cache', async ({ page }, testInfo) => {
    const file = exposureName();
    const { canvas } = await openInDataFolder(page, file);
    await page.screenshot({ path: testInfo.outputPath('exposure.png') });
    await expectPixels(canvas);
    expect(bad).toEqual([]);
    expectStoreInCacheOnly(file);
  });
});
