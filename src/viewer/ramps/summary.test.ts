import { describe, expect, it } from 'vitest';

import fixture from './fixtures/rampSet.json';
import { parseRampSet } from './set';
import { formatReadPattern, pixelReadout, summaryLine } from './summary';

const set = parseRampSet(fixture);

describe('formatReadPattern', () => {
  it('writes each resultant as frame ranges', () => {
    expect(formatReadPattern([[1], [2, 3], [4, 5, 6, 7]])).toBe('1 | 2–3 | 4–7');
    expect(formatReadPattern([[2, 4], [5, 6, 9]])).toBe('2,4 | 5–6,9');
  });
});

describe('summaryLine', () => {
  it('says what is plotted', () => {
    expect(summaryLine(set, 4.5)).toBe(
      '4 pixels · 4 resultants, frames 1 | 2–3 | 4–6 | 7–10 · threshold 4.5σ · read noise 5.00 DN · ' +
        'gain 2.00 e⁻/DN · r0001_wfi02_uncal.asdf · 2 pixels of the circle are off the detector'
    );
  });
});

describe('pixelReadout', () => {
  it('names the pixel, its strongest difference and its jumps', () => {
    const jumps = [
      { pixel: 1, resultant: 2, differences: [1], significance: 6.5, kind: 'flagged' as const },
      { pixel: 0, resultant: 2, differences: [1], significance: -5.5, kind: 'unflagged' as const },
      { pixel: 1, resultant: 1, differences: [0, 1], significance: 9.25, kind: 'flagged' as const }
    ];
    expect(pixelReadout(set, 1, 6.5, jumps)).toBe(
      'pixel (101, 200): strongest difference 6.5σ; jumps: 1→2 6.5σ pipeline-flagged, inside 1 (0→1→2) 9.3σ pipeline-flagged'
    );
    expect(pixelReadout(set, 2, 4.1, jumps)).toBe('pixel (100, 201): strongest difference 4.1σ');
  });
});
