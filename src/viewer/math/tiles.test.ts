import { describe, expect, it } from 'vitest';

import fixture from './fixtures/wcs.json';
import {
  chooseLevel,
  chunkGrid,
  chunkOfPixel,
  chunkRect,
  chunksInRect,
  mappedRect,
  pyramidFromShapes,
  viewRect,
  visibleChunks
} from './tiles';
import {
  circleFromScreen,
  circleToScreen,
  fitView,
  imageToScreen,
  IView,
  pointerInfo,
  screenToImage,
  screenToWorld,
  worldToScreen,
  zoomAt
} from './view';
import { FitsHeader, TanSipWcs } from './wcs';

const full = pyramidFromShapes([
  [4088, 4088],
  [2044, 2044],
  [1022, 1022],
  [511, 511]
]);
const view: IView = { width: 1000, height: 800, dpr: 1, cx: 2043.5, cy: 2043.5, zoom: 1 };

describe('screen and image coordinates', () => {
  it('put image row 0 at the bottom (FITS/ds9 orientation)', () => {
    const [, syLow] = imageToScreen(view, 0, 2000);
    const [, syHigh] = imageToScreen(view, 0, 2100);
    expect(syHigh).toBeLessThan(syLow);
    expect(imageToScreen(view, 2043.5, 2043.5)).toEqual([500, 400]);
    const [x, y] = screenToImage({ ...view, zoom: 3.7 }, 123.4, 567.8);
    expect(imageToScreen({ ...view, zoom: 3.7 }, x, y).map(v => +v.toFixed(9))).toEqual([123.4, 567.8]);
  });

  it('zoom about the pointer and fit the image', () => {
    const zoomed = zoomAt(view, 4, 100, 50);
    expect(screenToImage(zoomed, 100, 50)).toEqual(screenToImage(view, 100, 50));
    expect(zoomed.zoom).toBe(4);
    expect(fitView(view, [4088, 2000])).toMatchObject({ zoom: 800 / 4088, cx: 999.5, cy: 2043.5 });
  });

  it('find the pixel under the pointer, centres at integers', () => {
    const v: IView = { width: 10, height: 10, dpr: 2, cx: 0, cy: 0, zoom: 10 };
    expect(pointerInfo(v, 5, 5, [4, 4])).toMatchObject({ col: 0, row: 0, inside: true });
    expect(pointerInfo(v, 0.5, 9.5, [4, 4])).toMatchObject({ col: 0, row: 0, inside: true });
    expect(pointerInfo(v, 0, 5, [4, 4])).toMatchObject({ x: -0.5, col: 0 });
    expect(pointerInfo(v, -0.01, 5, [4, 4])).toMatchObject({ col: -1, inside: false });
  });
});

describe('pyramid level', () => {
  it('is the finest whose pixels cover a device pixel', () => {
    expect(chooseLevel(full, { ...view, zoom: 32 })).toBe(0);
    expect(chooseLevel(full, { ...view, zoom: 1 })).toBe(0);
    expect(chooseLevel(full, { ...view, zoom: 0.99 })).toBe(1);
    expect(chooseLevel(full, { ...view, zoom: 0.5 })).toBe(1);
    expect(chooseLevel(full, { ...view, zoom: 0.4 })).toBe(2);
    expect(chooseLevel(full, { ...view, zoom: 0.5, dpr: 2 })).toBe(0);
    expect(chooseLevel(full, { ...view, zoom: 0.01 })).toBe(3);
  });
});

describe('visible chunks', () => {
  it('follow the store layout (square 512 chunks, the coarsest level one chunk)', () => {
    expect(full.levels.map(l => chunkGrid(l))).toEqual([[8, 8], [4, 4], [2, 2], [1, 1]]);
    expect(full.levels[3].chunk).toEqual([511, 511]);
    expect(chunkRect(full, { level: 3, row: 0, col: 0 })).toEqual({ x0: -0.5, y0: -0.5, x1: 4087.5, y1: 4087.5 });
    expect(chunkRect(full, { level: 0, row: 7, col: 1 })).toEqual({ x0: 511.5, y0: 3583.5, x1: 1023.5, y1: 4087.5 });
  });

  it('are those under the canvas, centre first', () => {
    const keys = visibleChunks(full, view).map(k => [k.level, k.row, k.col]);
    expect(keys).toEqual([[0, 3, 3], [0, 3, 4], [0, 4, 3], [0, 4, 4]]);
    const off = visibleChunks(full, { ...view, cx: 1000.5, cy: 300 }).map(k => [k.row, k.col]);
    expect(off[0]).toEqual([0, 1]);
    expect(off).toHaveLength(6);
  });

  it('grow by a prefetch margin', () => {
    const keys = visibleChunks(full, view, 1);
    expect(keys).toHaveLength(16);
    expect(keys.slice(0, 4).map(k => [k.row, k.col])).toEqual([[3, 3], [3, 4], [4, 3], [4, 4]]);
  });

  it('are the coarsest single chunk when the whole image fits', () => {
    expect(visibleChunks(full, fitView(view, [4088, 4088]))).toEqual([{ level: 3, row: 0, col: 0 }]);
  });

  it('are none off the image', () => {
    expect(visibleChunks(full, { ...view, cx: -5000 })).toEqual([]);
    expect(chunksInRect(full, 0, { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity })).toEqual([]);
  });

  it('locate a pixel value in its chunk', () => {
    expect(chunkOfPixel(full, 600, 10)).toEqual({ key: { level: 0, row: 0, col: 1 }, index: 10 * 512 + 88 });
    expect(chunkOfPixel(full, 600, 10, 1)).toEqual({ key: { level: 1, row: 0, col: 0 }, index: 5 * 512 + 300 });
    expect(chunkOfPixel(full, 4088, 0)).toBeNull();
  });

  it('bound the canvas mapped into another image', () => {
    const rect = mappedRect(view, (sx, sy) => screenToImage(view, sx, sy));
    expect(rect).toEqual(viewRect(view));
    const shifted = mappedRect(view, (sx, sy) => [sy, sx]);
    expect(shifted).toEqual({ x0: 0, y0: 0, x1: 800, y1: 1000 });
  });
});

describe('sky on the screen', () => {
  const demo = fixture.cases[0];
  const wcs = TanSipWcs.fromHeader(demo.header as FitsHeader);
  const v: IView = { width: 600, height: 400, dpr: 2, cx: 128, cy: 100, zoom: 8 };

  it('round-trips screen <-> sky and shows RA/Dec in the status', () => {
    const [ra, dec] = screenToWorld(v, wcs, 320.5, 170.25);
    const [sx, sy] = worldToScreen(v, wcs, ra, dec);
    expect(Math.hypot(sx - 320.5, sy - 170.25)).toBeLessThan(1e-8);
    const info = pointerInfo(v, 320.5, 170.25, [256, 256], wcs);
    expect(info.ra).toBe(ra);
    expect(info.raText).toMatch(/^12:29:\d\d\.\d{3}$/);
    expect(info.decText).toMatch(/^\+12:2\d:\d\d\.\d\d$/);
  });

  it('converts circles between screen pixels and arcsec', () => {
    const circle = circleFromScreen(v, wcs, 300, 200, 40);
    // the local scale (distortion included) is within 0.1% of the nominal one on the demo
    expect(Math.abs(circle.radiusArcsec / ((40 / 8) * demo.pixel_scale_arcsec) - 1)).toBeLessThan(1e-3);
    const back = circleToScreen(v, wcs, circle);
    expect(Math.hypot(back.sx - 300, back.sy - 200)).toBeLessThan(1e-8);
    expect(back.r).toBeCloseTo(40, 6);
  });
});
