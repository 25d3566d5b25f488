import { describe, expect, it } from 'vitest';

import { percentileInterval } from './stackImage';

const stats = { min: 0, max: 100, percentiles: { '0.5': 1, '1': 2, '50': 10, '99': 50, '99.5': 60, '99.9': 90 } };

describe('percentileInterval', () => {
  it('uses the stored percentiles when it has them', () => {
    expect(percentileInterval(stats, 99)).toEqual([1, 60]);
    expect(percentileInterval(stats, 98)).toEqual([2, 50]);
  });

  it('interpolates between stored percentiles', () => {
    const [vmin, vmax] = percentileInterval(stats, 99.5);
    expect(vmin).toBeCloseTo(0.5, 10);
    expect(vmax).toBeCloseTo(60 + (30 * 0.25) / 0.4, 10);
  });

  it('gives min and max for 100', () => {
    expect(percentileInterval(stats, 100)).toEqual([0, 100]);
  });
});
