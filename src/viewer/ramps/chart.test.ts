import { describe, expect, it } from 'vitest';

import { dimAlpha, envelopes, nearestPolyline, padded } from './chart';

describe('nearestPolyline', () => {
  const xs = [0, 10, 20];
  const lines = [
    [0, 0, 0],
    [10, 10, 10],
    [0, NaN, 20]
  ];
  const ys = (i: number): number[] => lines[i];

  it('picks the line nearest the point, between samples too', () => {
    expect(nearestPolyline(xs, ys, 2, 5, 2, 8)).toBe(0);
    expect(nearestPolyline(xs, ys, 2, 15, 7, 8)).toBe(1);
  });

  it('picks nothing beyond the distance', () => {
    expect(nearestPolyline(xs, ys, 2, 5, 30, 8)).toBeNull();
  });

  it('does not bridge a missing sample, but a lone point counts', () => {
    // Line 2 has no segment from (0, 0) to (20, 20) through (10, 10)'s neighbourhood...
    expect(nearestPolyline(xs, i => [lines[2]][i], 1, 10, 10, 3)).toBeNull();
    // ...and its end point still counts.
    expect(nearestPolyline(xs, i => [lines[2]][i], 1, 20, 21, 3)).toBe(0);
  });
});

describe('envelopes', () => {
  it('bounds all lines per sample, null where none has a value', () => {
    expect(envelopes([[1, NaN, 3], [2, NaN, -1]], 3)).toEqual([
      [1, null, -1],
      [2, null, 3]
    ]);
  });

  it('leaves out excluded samples (saturated resultants)', () => {
    expect(envelopes([[1, 2], [3, 65535]], 2, new Set([1 * 2 + 1]))).toEqual([
      [1, 2],
      [3, 2]
    ]);
  });
});

describe('padded', () => {
  it('widens a range, and a flat one by a unit fraction', () => {
    expect(padded(0, 10, 0.1)).toEqual([-1, 11]);
    expect(padded(5, 5, 0.1)).toEqual([4.5, 5.5]);
    expect(padded(null, 3, 0.1)).toEqual([null, 3]);
  });
});

describe('dimAlpha', () => {
  it('fades as lines multiply, within bounds', () => {
    expect(dimAlpha(1)).toBe(0.6);
    expect(dimAlpha(100)).toBeCloseTo(0.3);
    expect(dimAlpha(1250)).toBe(0.1);
  });
});
