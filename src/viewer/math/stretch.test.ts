import { describe, expect, it } from 'vitest';

import fixture from './fixtures/stretch.json';
import {
  HISTEQ_MAX_KNOTS,
  histEqKnots,
  Interval,
  intervalLimits,
  IStretchSpec,
  makeNormalization,
  makeStretch,
  normalizeArray,
  normalizeValue,
  zscaleLimits
} from './stretch';

/** The fixtures write NaN and +-inf as strings (JSON has no such numbers). */
const SPECIAL: Record<string, number> = { nan: NaN, inf: Infinity, '-inf': -Infinity };

function fromJson(values: ReadonlyArray<number | string>): Float64Array {
  return Float64Array.from(values, v => (typeof v === 'string' ? SPECIAL[v] : v));
}

/** |actual - expected| <= rel * |expected| + abs, NaN only where NaN is expected. */
function close(actual: number, expected: number, rel: number, abs = 1e-12): boolean {
  if (Number.isNaN(expected)) {
    return Number.isNaN(actual);
  }
  return Math.abs(actual - expected) <= rel * Math.abs(expected) + abs;
}

const arrays = Object.entries(fixture.arrays);
const stretches = fixture.stretches as Record<string, IStretchSpec>;

describe('intervals match astropy', () => {
  for (const [name, entry] of arrays) {
    const values = fromJson(entry.values);
    for (const [key, spec] of Object.entries(entry.intervals as Record<string, Interval>)) {
      it(`${key} of ${name}`, () => {
        const [vmin, vmax] = intervalLimits(spec, values);
        const [evmin, evmax] = (entry.limits as Record<string, number[]>)[key];
        // display limits in data units, relative 1e-6: astropy's side (zscale's fit, numpy's
        // percentiles) was computed on whichever machine wrote the fixture
        expect(close(vmin, evmin, 1e-6), `vmin ${vmin} vs ${evmin}`).toBe(true);
        expect(close(vmax, evmax, 1e-6), `vmax ${vmax} vs ${evmax}`).toBe(true);
      });
    }
  }

  it('reads float32 data the same way (the chunks are Float32Array)', () => {
    const galaxy = fixture.arrays.galaxy;
    const f32 = Float32Array.from(fromJson(galaxy.values));
    expect(zscaleLimits(f32)).toEqual(zscaleLimits(fromJson(galaxy.values)));
  });

  it('refuses data without finite values', () => {
    expect(() => intervalLimits({ kind: 'minmax' }, [NaN, Infinity])).toThrow(/no finite values/);
    expect(() => intervalLimits({ kind: 'zscale' }, [])).toThrow(/no finite values/);
    expect(() => intervalLimits({ kind: 'percentile', percentile: 99 }, [NaN])).toThrow(/no finite values/);
  });

  it('zscales a full-size 2048^2 float32 image in well under a second', () => {
    const data = new Float32Array(2048 * 2048);
    for (let i = 0; i < data.length; i++) {
      data[i] = Math.sin(i * 0.37) + (i % 977 === 0 ? 1000 : 0);
    }
    const t0 = performance.now();
    const [vmin, vmax] = zscaleLimits(data);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(vmin).toBeLessThan(vmax);
  });
});

describe('ImageNormalize(clip=True) matches astropy for every stretch x interval', () => {
  for (const [name, entry] of arrays) {
    const values = fromJson(entry.values);
    const probe = entry.probe.map(i => values[i]);
    for (const [ikey, spec] of Object.entries(entry.intervals as Record<string, Interval>)) {
      it(`${name}, ${ikey}`, () => {
        const [vmin, vmax] = intervalLimits(spec, values);
        const normalized = entry.normalized as Record<string, Record<string, Array<number | string>>>;
        for (const [skey, sspec] of Object.entries(stretches)) {
          if (name === 'constant' && skey === 'histeq') {
            continue; // astropy's knots are 0/0 = NaN there; ours are the identity (tested below)
          }
          const norm = makeNormalization(vmin, vmax, makeStretch(sspec, values));
          const expected = fromJson(normalized[ikey][skey]);
          probe.forEach((v, i) => {
            const got = normalizeValue(norm, v);
            // display fractions in [0, 1]: one colour level is 1/256
            expect(close(got, expected[i], 1e-6, 1e-9), `${skey}(${v}) = ${got}, astropy ${expected[i]}`).toBe(true);
          });
        }
      });
    }
  }
});

describe('stretches', () => {
  it("use astropy's defaults and check their parameter", () => {
    expect(makeStretch({ name: 'log' })).toEqual({ name: 'log', a: 1000 });
    expect(makeStretch({ name: 'asinh' })).toEqual({ name: 'asinh', a: 0.1 });
    expect(makeStretch({ name: 'sinh' })).toEqual({ name: 'sinh', a: 1 / 3 });
    expect(() => makeStretch({ name: 'power' })).toThrow(/exponent/);
    expect(() => makeStretch({ name: 'log', a: 0 })).toThrow(/positive/);
    expect(() => makeStretch({ name: 'histeq' })).toThrow(/sample/);
  });

  it('refuse vmin > vmax like ImageNormalize', () => {
    expect(() => makeNormalization(2, 1, { name: 'linear' })).toThrow(/vmin/);
  });

  it('reduce a large histeq sample to ranked knots keeping its ends', () => {
    const sample = Float32Array.from({ length: HISTEQ_MAX_KNOTS * 3 + 7 }, (_, i) => (i * 7919) % 10007);
    const knots = histEqKnots(sample);
    expect(knots.length).toBe(HISTEQ_MAX_KNOTS);
    expect(knots[0]).toBe(0);
    expect(knots[knots.length - 1]).toBe(1);
    expect(knots.every((k, i) => i === 0 || k >= knots[i - 1])).toBe(true);
    expect(histEqKnots([3, 3, NaN])).toEqual(Float64Array.of(0, 1));
    const constant = makeNormalization(2, 3, makeStretch({ name: 'histeq' }, [2.5, 2.5]));
    expect(normalizeValue(constant, 2.25)).toBe(0.25);
  });

  it('normalise arrays into float32', () => {
    const out = normalizeArray(makeNormalization(0, 10, { name: 'linear' }), [-1, 5, 20, NaN]);
    expect(Array.from(out)).toEqual([0, 0.5, 1, NaN]);
  });
});
