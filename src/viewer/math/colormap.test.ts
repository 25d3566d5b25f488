import { describe, expect, it } from 'vitest';

import { COLORMAP_BASES, COLORMAP_NAMES, colormapLUT, colormapRGB, lutIndex } from './colormap';
import reversed from './fixtures/colormaps_r.json';

const hex = (bytes: Uint8Array): string => Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');

describe('colormaps', () => {
  it('are matplotlib tables', () => {
    expect(COLORMAP_BASES).toEqual(['grey', 'viridis', 'inferno', 'magma', 'plasma', 'cividis']);
    expect(Array.from(colormapRGB('viridis').subarray(0, 3))).toEqual([68, 1, 84]);
    expect(Array.from(colormapRGB('viridis').subarray(765))).toEqual([253, 231, 36]);
    expect(Array.from(colormapRGB('grey').subarray(765))).toEqual([255, 255, 255]);
    expect(colormapRGB('gray')).toBe(colormapRGB('grey'));
  });

  it("reverse as matplotlib's _r (grey within its byte truncation)", () => {
    for (const name of COLORMAP_BASES) {
      const ours = colormapRGB(`${name}_r`);
      const theirs = (reversed as Record<string, string>)[name];
      if (name === 'grey') {
        const diff = Array.from(ours, (b, i) => Math.abs(b - parseInt(theirs.slice(2 * i, 2 * i + 2), 16)));
        expect(Math.max(...diff)).toBeLessThanOrEqual(1);
      } else {
        expect(hex(ours)).toBe(theirs);
      }
    }
    expect(colormapRGB('gray_r')).toBe(colormapRGB('grey_r'));
  });

  it('give an opaque RGBA texture for every name', () => {
    expect(COLORMAP_NAMES).toHaveLength(12);
    for (const name of COLORMAP_NAMES) {
      const lut = colormapLUT(name);
      expect(lut).toHaveLength(1024);
      expect(lut.filter((_, i) => i % 4 === 3).every(a => a === 255)).toBe(true);
    }
    expect(() => colormapRGB('jet')).toThrow(/unknown colormap 'jet'.*viridis/);
  });

  it("index like matplotlib's Colormap(x) (N = 256, 1.0 is the last entry)", () => {
    expect([0, 0.5, 1 / 256, 0.999, 1].map(lutIndex)).toEqual([0, 128, 1, 255, 255]);
  });
});
