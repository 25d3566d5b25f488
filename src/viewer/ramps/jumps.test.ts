import { describe, expect, it } from 'vitest';

import fixture from './fixtures/rampSet.json';
import {
  countJumps,
  describeJumps,
  differenceTimes,
  exceeds,
  INSIDE_MARGIN,
  jumpsAt,
  PixelClass,
  pixelClasses,
  rampFacts
} from './jumps';
import { parseRampSet } from './set';

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
  it("flags by the L2's recorded jumps (pixel and resultant) when it has them, not by the pixel's DQ", () => {
    // pixel 1's 6.5-sigma event is at resultant 2 and its DQ has JUMP_DET (the fixture)
    const elsewhere = parseRampSet({ ...fixture, pipeline_jumps: [[1, 1]] });
    expect(jumpsAt(elsewhere, rampFacts(elsewhere), 5)[0]).toMatchObject({ pixel: 1, resultant: 2, kind: 'unflagged' });
    const there = parseRampSet({ ...fixture, pipeline_jumps: [[1, 2]] });
    expect(jumpsAt(there, rampFacts(there), 5)[0]).toMatchObject({ pixel: 1, resultant: 2, kind: 'flagged' });
    expect(() => parseRampSet({ ...fixture, pipeline_jumps: [[9, 2]] })).toThrow(/pipeline_jumps\[0\]\[0\]/);
  });

  it('re-thresholds from the significances, positive steps only', () => {
    expect(exceeds(5, 5)).toBe(true);
    expect(exceeds(4.99, 5)).toBe(false);
    expect(exceeds(-5.5, 5)).toBe(false);
    expect(exceeds(NaN, 5)).toBe(false);
    expect(jumpsAt(set, facts, 5)).toEqual([
      { pixel: 1, resultant: 2, differences: [1], significance: 6.5, kind: 'flagged' },
      { pixel: 3, resultant: 2, differences: [1], significance: 12, kind: 'saturated' }
    ]);
  });

  it('finds the faint unflagged jump below the server threshold', () => {
    const faint = jumpsAt(set, facts, 4).filter(j => j.pixel === 2);
    expect(faint).toEqual([{ pixel: 2, resultant: 1, differences: [0], significance: 4.1, kind: 'unflagged' }]);
    expect(jumpsAt(set, facts, 7).map(j => j.kind)).toEqual(['saturated']);
  });

  it('counts jumps by kind and the pixels that have any', () => {
    expect(countJumps(jumpsAt(set, facts, 4))).toEqual({ flagged: 1, unflagged: 1, saturated: 1, pixels: 2 });
    expect(countJumps([])).toEqual({ flagged: 0, unflagged: 0, saturated: 0, pixels: 0 });
  });
});

describe('one event per cosmic ray', () => {
  // a hit inside resultant 2 (reads 4-6) of pixel 0: 71 and 80 sigma on the differences around it
  const hit = {
    ...set,
    significance: [[0.3, 71, 80], ...set.significance.slice(1)],
    inside_significance: [[NaN, NaN, 107, NaN], ...set.significance.slice(1).map(() => [NaN, NaN, NaN, NaN])]
  };
  const hitFacts = rampFacts(hit);

  it('reports a hit inside a resultant once, there, explaining both differences', () => {
    const own = jumpsAt(hit, hitFacts, 5).filter(j => j.pixel === 0);
    expect(own).toEqual([{ pixel: 0, resultant: 2, differences: [1, 2], significance: 107, kind: 'unflagged' }]);
    expect(countJumps(jumpsAt(hit, hitFacts, 5)).unflagged).toBe(1);
    // at any threshold the browser picks
    for (const threshold of [3, 50, 75, 80]) {
      expect(jumpsAt(hit, hitFacts, threshold).filter(j => j.pixel === 0)).toHaveLength(1);
    }
    // a difference must reach the threshold: the event's 107 sigma does not trigger by itself
    expect(jumpsAt(hit, hitFacts, 81).filter(j => j.pixel === 0)).toEqual([]);
  });

  it('keeps a step alone when the in-resultant value does not beat it by the margin', () => {
    const below = Math.hypot(80, INSIDE_MARGIN) - 0.01;
    const weak = { ...hit, inside_significance: [[NaN, NaN, below, NaN], ...hit.inside_significance.slice(1)] };
    const own = jumpsAt(weak, rampFacts(weak), 5).filter(j => j.pixel === 0);
    expect(own.map(j => [j.resultant, j.differences])).toEqual([
      [2, [1]],
      [3, [2]]
    ]);
  });

  it('without inside_significance, two consecutive differences around a multi-read resultant are one event', () => {
    const bare = { ...hit, inside_significance: undefined };
    const own = jumpsAt(bare, rampFacts(bare), 5).filter(j => j.pixel === 0);
    expect(own).toHaveLength(1);
    expect(own[0].resultant).toBe(2);
    expect(own[0].differences).toEqual([1, 2]);
    expect(own[0].significance).toBeCloseTo(Math.hypot(71, 80), 6);
    // resultant 0 has a single read: differences 0 and 1 above the threshold stay two events
    const first = { ...set, significance: [[9, 8, 0.1], ...set.significance.slice(1)] };
    expect(jumpsAt(first, rampFacts(first), 5).filter(j => j.pixel === 0)).toHaveLength(1); // resultant 1 has reads 2-3
    const single = { ...first, read_pattern: [[1], [2], [3, 4], [5, 6]] };
    expect(jumpsAt(single, rampFacts(single), 5).filter(j => j.pixel === 0)).toHaveLength(2);
  });
});

describe('pixelClasses', () => {
  it('gives each pixel its most telling jump kind', () => {
    const classes = pixelClasses(4, jumpsAt(set, facts, 5));
    expect([...classes]).toEqual([PixelClass.None, PixelClass.Flagged, PixelClass.None, PixelClass.Saturated]);
    expect(pixelClasses(4, jumpsAt(set, facts, 4))[2]).toBe(PixelClass.Unflagged);
    const mixed = pixelClasses(1, [
      { pixel: 0, resultant: 1, differences: [0], significance: 9, kind: 'saturated' as const },
      { pixel: 0, resultant: 2, differences: [1], significance: 9, kind: 'flagged' as const },
      { pixel: 0, resultant: 3, differences: [2], significance: 9, kind: 'unflagged' as const }
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
