import { describe, expect, it } from 'vitest';

import fixture from './fixtures/rampSet.json';
import { countsSinceFirst, parseRampSet, RampSetError } from './set';

/** A deep copy of the fixture with one change, as a server bug would make it. */
function broken(change: (json: any) => void): unknown {
  const json = JSON.parse(JSON.stringify(fixture));
  change(json);
  return json;
}

function message(json: unknown): string {
  try {
    parseRampSet(json);
  } catch (error) {
    expect(error).toBeInstanceOf(RampSetError);
    return (error as Error).message;
  }
  throw new Error('parsed without complaint');
}

describe('parseRampSet', () => {
  it('reads a well-formed response, nulls as NaN', () => {
    const set = parseRampSet(fixture);
    expect(set.pixels).toEqual([[100, 200], [101, 200], [100, 201], [101, 201]]);
    expect(set.counts[3][3]).toBeNaN();
    expect(set.significance[3][2]).toBeNaN();
    expect(set.significance[0][1]).toBe(-5.5);
    expect(set.jumps[0]).toEqual({
      pixel: 1,
      x: 101,
      y: 200,
      resultant: 2,
      significance: 6.5,
      pipeline_flagged: true,
      saturated: false
    });
    expect(set.saturated).toEqual([[3, 2], [3, 3]]);
    expect(set.note).toBe('2 pixels of the circle are off the detector');
  });

  it('takes a missing or null note as empty', () => {
    expect(parseRampSet(broken(j => delete j.note)).note).toBe('');
    expect(parseRampSet(broken(j => (j.note = null))).note).toBe('');
  });

  it('names the field that is wrong', () => {
    expect(message(null)).toMatch(/expected a JSON object/);
    expect(message(broken(j => delete j.times))).toMatch(/'times' is missing/);
    expect(message(broken(j => j.counts[2].pop()))).toMatch(/counts\[2\] has 3 values, expected 4/);
    expect(message(broken(j => j.significance.pop()))).toMatch(/significance has 3 rows/);
    expect(message(broken(j => (j.significance[1][0] = 'x')))).toMatch(/significance\[1\]\[0\] must be a finite number/);
    expect(message(broken(j => (j.read_pattern = [[1]])))).toMatch(/read_pattern has 1 resultants, expected 4/);
    expect(message(broken(j => (j.pixels[0] = [1])))).toMatch(/pixels\[0\] has 1 values, expected 2/);
    expect(message(broken(j => (j.threshold = 0)))).toMatch(/threshold must be positive/);
    expect(message(broken(j => (j.l1_path = 3)))).toMatch(/'l1_path' must be a string/);
  });

  it('rejects times that do not increase, and ramps of one resultant', () => {
    expect(message(broken(j => (j.times[2] = 9.12)))).toMatch(/times must increase/);
    expect(
      message(
        broken(j => {
          j.times = [3];
          j.read_pattern = [[1]];
        })
      )
    ).toMatch(/at least 2/);
  });

  it('rejects jumps and saturated pairs that point outside the arrays', () => {
    expect(message(broken(j => (j.jumps[0].pixel = 4)))).toMatch(/jumps\[0\]\.pixel = 4 is not an index below 4/);
    expect(message(broken(j => (j.jumps[0].resultant = 0)))).toMatch(/jumps\[0\]\.resultant is 0/);
    expect(message(broken(j => (j.jumps[1].resultant = 4)))).toMatch(/jumps\[1\]\.resultant = 4/);
    expect(message(broken(j => (j.jumps[0].pipeline_flagged = 1)))).toMatch(/pipeline_flagged must be true or false/);
    expect(message(broken(j => (j.saturated[0] = [3, 1.5])))).toMatch(/saturated\[0\]\[1\] = 1.5/);
  });
});

describe('countsSinceFirst', () => {
  it('subtracts each ramp\'s first resultant', () => {
    expect(countsSinceFirst([[100, 130, 175], [12000, 12010, NaN]])).toEqual([
      [0, 30, 75],
      [0, 10, NaN]
    ]);
  });
});
