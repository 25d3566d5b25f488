import { describe, expect, it } from 'vitest';

import { catalogPath, markerPath, markerShape, projectCatalog } from './markers';

describe('markerPath', () => {
  it('draws a circle of radius size as two arcs', () => {
    expect(markerPath('circle', 10, 20, 5)).toBe('M15 20A5 5 0 1 0 5 20A5 5 0 1 0 15 20Z');
  });

  it('draws a square and a diamond of half-width size', () => {
    expect(markerPath('square', 10, 20, 5)).toBe('M5 15H15V25H5Z');
    expect(markerPath('diamond', 10, 20, 5)).toBe('M10 15L15 20L10 25L5 20Z');
  });

  it('draws a plus through the centre and a crosshair open in the middle', () => {
    expect(markerPath('plus', 10, 20, 5)).toBe('M5 20H15M10 15V25');
    expect(markerPath('crosshair', 0, 0, 6)).toBe('M-6 0H-2M2 0H6M0 -6V-2M0 2V6');
  });

  it('rounds to 1/100 px and keeps a visible minimum size', () => {
    expect(markerPath('square', 1 / 3, 0, 0)).toBe('M-0.17 -0.5H0.83V0.5H-0.17Z');
  });

  it('falls back to a circle for unknown shapes', () => {
    expect(markerShape('star')).toBe('circle');
    expect(markerShape('plus')).toBe('plus');
  });
});

describe('catalogPath', () => {
  it('keeps the markers whose centre is in the view (plus their size)', () => {
    const points = new Float64Array([0, 0, 50, 50, 103, 50, 200, 50, 50, -4]);
    const toScreen = (x: number, y: number): [number, number] => [x, y];
    const { d, shown } = catalogPath(points, 'plus', 4, toScreen, 100, 100);
    expect(shown).toBe(4); // (200, 50) is out
    expect(d).toContain('M46 50H54');
    expect(d).not.toContain('196');
  });
});

describe('projectCatalog', () => {
  it('maps sky points through the reference WCS and pixel points through their frame', () => {
    const sky = (ra: number, dec: number): [number, number] => [ra * 10, dec * 10];
    const pixel = (x: number, y: number): [number, number] => [x + 1, y + 2];
    const skyCatalog = { points: [{ ra: 1, dec: 2 }, { ra: 3, dec: 4 }], style: { marker: 'circle', color: 'red', size: 5 }, frame: null };
    expect(Array.from(projectCatalog(skyCatalog, sky, pixel))).toEqual([10, 20, 30, 40]);
    const pixelCatalog = { points: [{ x: 5, y: 6 }], style: { marker: 'plus', color: 'cyan', size: 8 }, frame: 'e1' };
    expect(Array.from(projectCatalog(pixelCatalog, sky, pixel))).toEqual([6, 8]);
  });

  it('leaves out what cannot be placed: no WCS, no frame image, off the projection', () => {
    const catalog = { points: [{ ra: 1, dec: 2 }], style: { marker: 'circle', color: 'red', size: 5 }, frame: null };
    expect(projectCatalog(catalog, null, null).length).toBe(0);
    expect(projectCatalog(catalog, () => [NaN, 1], null).length).toBe(0);
    const pixels = { points: [{ x: 1, y: 1 }], style: catalog.style, frame: 'gone' };
    expect(projectCatalog(pixels, null, null).length).toBe(0);
  });
});
