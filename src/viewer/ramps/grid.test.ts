import { describe, expect, it } from 'vitest';

import { colormapRGB } from '../math/colormap';
import { cellOrigin, gridLayout, pixelAtPoint, scaleMax, significanceColour } from './grid';

/** An L of three pixels: (10, 20), (11, 20), (10, 21); (11, 21) is not in the circle. */
const L_SHAPE: Array<[number, number]> = [
  [10, 20],
  [11, 20],
  [10, 21]
];

describe('gridLayout', () => {
  it('fits square cells, capped, centred in the box', () => {
    const layout = gridLayout(L_SHAPE, 100, 60);
    expect([layout.x0, layout.y0, layout.cols, layout.rows]).toEqual([10, 20, 2, 2]);
    expect(layout.cell).toBe(24);
    expect([layout.left, layout.top]).toEqual([26, 6]);
    expect(gridLayout(L_SHAPE, 10, 60).cell).toBe(5);
  });

  it('puts image row 0 at the bottom, as the viewer does', () => {
    const layout = gridLayout(L_SHAPE, 48, 48);
    expect(cellOrigin(layout, 10, 21)).toEqual([0, 0]);
    expect(cellOrigin(layout, 11, 20)).toEqual([24, 24]);
    expect(pixelAtPoint(layout, 5, 5)).toBe(2);
    expect(pixelAtPoint(layout, 30, 30)).toBe(1);
    expect(pixelAtPoint(layout, 5, 30)).toBe(0);
  });

  it('finds no pixel in gaps or outside', () => {
    const layout = gridLayout(L_SHAPE, 48, 48);
    expect(pixelAtPoint(layout, 30, 5)).toBeNull();
    expect(pixelAtPoint(layout, -1, 5)).toBeNull();
    expect(pixelAtPoint(layout, 5, 48)).toBeNull();
  });

  it('maps every cell centre back to its pixel (a 20-pixel-radius disc)', () => {
    const disc: Array<[number, number]> = [];
    for (let y = -20; y <= 20; y++) {
      for (let x = -20; x <= 20; x++) {
        if (x * x + y * y <= 400) {
          disc.push([2000 + x, 1000 + y]);
        }
      }
    }
    const layout = gridLayout(disc, 200, 200);
    expect(layout.cell).toBe(4);
    disc.forEach(([x, y], i) => {
      const [left, top] = cellOrigin(layout, x, y);
      expect(pixelAtPoint(layout, left + 2, top + 2)).toBe(i);
    });
  });

  it('survives no pixels', () => {
    const layout = gridLayout([], 100, 100);
    expect(layout.cols).toBe(0);
    expect(pixelAtPoint(layout, 50, 50)).toBeNull();
  });
});

describe('significanceColour', () => {
  const viridis = colormapRGB('viridis');

  it('is grey below the threshold, brighter as it nears it', () => {
    const [r0, g0, b0] = significanceColour(0, 5, 10);
    const [r1, g1, b1] = significanceColour(4.9, 5, 10);
    expect(r0).toBe(g0);
    expect(g0).toBe(b0);
    expect(r1).toBe(g1);
    expect(g1).toBe(b1);
    expect(r1).toBeGreaterThan(r0);
  });

  it('is viridis from the threshold to the top', () => {
    expect(significanceColour(5, 5, 10)).toEqual([viridis[0], viridis[1], viridis[2]]);
    expect(significanceColour(7.5, 5, 10)).toEqual([viridis[384], viridis[385], viridis[386]]);
    expect(significanceColour(50, 5, 10)).toEqual([viridis[765], viridis[766], viridis[767]]);
  });

  it('shows a dip or a missing value as the quietest grey', () => {
    expect(significanceColour(-10, 5, 10)).toEqual(significanceColour(0, 5, 10));
    expect(significanceColour(NaN, 5, 10)).toEqual(significanceColour(0, 5, 10));
  });
});

describe('scaleMax', () => {
  it('is the strongest pixel, but keeps the threshold below the top', () => {
    expect(scaleMax([1, 12, NaN], 5)).toBe(12);
    expect(scaleMax([1, 2], 5)).toBe(7.5);
  });
});
