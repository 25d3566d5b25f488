import { describe, expect, it } from 'vitest';

import fixture from './fixtures/rampSet.json';
import {
  countJumps,
  describeJumps,
  differenceTimes,
  exceeds,
  jumpsAt,
  PixelClass,
  pixelClasses,
  rampFacts
} from './rampJumps';
import { parseRampSet } from './rampSet';

const set = parseRampSet(fixture);
const facts = rampFacts(set);

describe('rampFacts', () => {
  it('flags pixels the pipeline flagged and keys saturated resultants', () => {
    expect([...facts.flaggedPixel]).toEqual([0, 1, 0, 0]);
    expect([...facts.saturated].sort((a, b) => a - b)).toEqual([3 * 4 + 2, 3 * 4 + 3]);
  });

  it('takes the strongest positive difference per pixel, skipping saturated resultants and NaN', () => {
    // Pixel 0's -5.5 is a dip, not a jump; pixel 3's 12 sigma goes into a saturated resultant.
    expect([...facts.strongest]).toEqual([1.1, 6.5, 4.1, 1.0]);
  });
});

describe('jumpsAt', () => {
  it('re-thresholds from the significances, positive steps only', () => {
    expect(exceeds(5, 5)).toBe(true);
    expect(exceeds(4.99, 5)).toBe(false);
    expect(exceeds(-5.5, 5)).toBe(false);
    expect(exceeds(NaN, 5)).toBe(false);
    expect(jumpsAt(set, facts, 5)).toEqual([
      { pixel: 1, resultant: 2, significance: 6.5, kind: 'flagged' },
      { pixel: 3, resultant: 2, significance: 12, kind: 'saturated' }
    ]);
  });

  it('finds the faint unflagged jump below the server threshold', () => {
    const faint = jumpsAt(set, facts, 4).filter(j => j.pixel === 2);
    expect(faint).toEqual([{ pixel: 2, resultant: 1, significance: 4.1, kind: 'unflagged' }]);
    expect(jumpsAt(set, facts, 7).map(j => j.kind)).toEqual(['saturated']);
  });

  it('counts jumps by kind and the pixels that have any', () => {
    expect(countJumps(jumpsAt(set, facts, 4))).toEqual({ flagged: 1, unflagged: 1, saturated: 1, pixels: 2 });
    expect(countJumps([])).toEqual({ flagged: 0, unflagged: 0, saturated: 0, pixels: 0 });
  });
});

describe('pixelClasses', () => {
  it('gives each pixel its most telling jump kind', () => {
    const classes = pixelClasses(4, jumpsAt(set, facts, 5));
    expect([...classes]).toEqual([PixelClass.None, PixelClass.Flagged, PixelClass.None, PixelClass.Saturated]);
    expect(pixelClasses(4, jumpsAt(set, facts, 4))[2]).toBe(PixelClass.Unflagged);
    const mixed = pixelClasses(1, [
      { pixel: 0, resultant: 1, significance: 9, kind: 'saturated' },
      { pixel: 0, resultant: 2, significance: 9, kind: 'flagged' },
      { pixel: 0, resultant: 3, significance: 9, kind: 'unflagged' }
    ]);
    expect(mixed[0]).toBe(PixelClass.Flagged);
  });
});

describe('differenceTimes', () => {
  it('puts each difference at the midpoint of its resultants', () => {
    expect(differenceTimes([2, 4, 10])).toEqual([3, 7]);
  });
});

describe('describeJumps', () => {
  it('reads as a sentence', () => {
    expect(describeJumps({ flagged: 1, unflagged: 2, saturated: 1, pixels: 3 }, 4)).toBe(
      '3 jumps ≥ 4.0σ in 3 pixels: 1 pipeline-flagged, 2 not flagged (1 saturated, ignored)'
    );
    expect(describeJumps({ flagged: 0, unflagged: 1, saturated: 0, pixels: 1 }, 5)).toBe(
      '1 jump ≥ 5.0σ in 1 pixel: 0 pipeline-flagged, 1 not flagged'
    );
    expect(describeJumps({ flagged: 0, unflagged: 0, saturated: 0, pixels: 0 }, 6.25)).toBe('0 jumps ≥ 6.3σ');
  });
});
