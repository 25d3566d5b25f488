import { describe, expect, it } from 'vitest';

import fixture from './fixtures/coords.json';
import { CoordinateError, formatDec, formatFixed, formatRA, parseCoordinate } from './sexagesimal';

describe('sexagesimal formatting matches astropy Angle.to_string', () => {
  for (const entry of fixture.format as Array<Record<string, number | string>>) {
    it(`${entry.ra} ${entry.dec}`, () => {
      for (const p of [0, 1, 2, 3]) {
        expect(formatRA(entry.ra as number, p)).toBe(entry[`ra${p}`]);
        expect(formatDec(entry.dec as number, p)).toBe(entry[`dec${p}`]);
      }
    });
  }

  it('uses ds9-like default precisions and wraps 24h to 0h (astropy writes 24:00:00)', () => {
    expect(formatRA(187.29442148945)).toBe('12:29:10.661');
    expect(formatDec(12.387247648028)).toBe('+12:23:14.09');
    expect(formatRA(359.9999999999, 2)).toBe('00:00:00.00');
    expect(formatRA(-15)).toBe('23:00:00.000');
  });

  it('rounds exact ties to even like Python', () => {
    expect([formatFixed(0.125, 2), formatFixed(0.375, 2), formatFixed(2.5, 0), formatFixed(-0.125, 2)]).toEqual([
      '0.12',
      '0.38',
      '2',
      '-0.12'
    ]);
    expect(formatFixed(1.005, 2)).toBe('1.00'); // 1.005 is 1.00499999... in binary
  });
});

describe('parseCoordinate reads what SkyCoord reads', () => {
  for (const { text, ra, dec } of fixture.parse) {
    it(JSON.stringify(text), () => {
      const got = parseCoordinate(text);
      expect(got).not.toBeNull();
      // 1e-9 deg = 3.6 micro-arcsec: both do decimal arithmetic on the same text
      expect(Math.abs(got!.ra - ra)).toBeLessThan(1e-9);
      expect(Math.abs(got!.dec - dec)).toBeLessThan(1e-9);
    });
  }

  it('explains invalid coordinates', () => {
    for (const text of fixture.invalid) {
      expect(() => parseCoordinate(text), text).toThrow(CoordinateError);
    }
    expect(() => parseCoordinate('187.3 12h')).toThrow(/degrees, not hours/);
  });

  it('leaves names to the resolver', () => {
    for (const text of fixture.names) {
      expect(parseCoordinate(text), text).toBeNull();
    }
  });

  it('reads RA in degrees when written so', () => {
    expect(parseCoordinate('187d17m40s +12d00m00s')!.ra).toBeCloseTo(187 + 17 / 60 + 40 / 3600, 12);
    expect(parseCoordinate('12.5h -30')!.ra).toBe(187.5);
  });
});
