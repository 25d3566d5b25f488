import { describe, expect, it } from 'vitest';

import fixture from './fixtures/wcs.json';
import { FitsHeader, mapPixel, pixelScaleArcsec, TanSipWcs, WcsError } from './wcs';

const D2R = Math.PI / 180;

/** Angular separation in degrees (haversine: precise for tiny angles). */
function separation(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const cosines = Math.cos(dec1 * D2R) * Math.cos(dec2 * D2R);
  const s = Math.sin(((dec2 - dec1) * D2R) / 2) ** 2 + cosines * Math.sin(((ra2 - ra1) * D2R) / 2) ** 2;
  return (2 * Math.asin(Math.sqrt(s))) / D2R;
}

interface ICase {
  name: string;
  header: FitsHeader;
  pixel_scale_arcsec: number;
  x: number[];
  y: number[];
  ra: number[];
  dec: number[];
  gwcs_ra?: number[];
  gwcs_dec?: number[];
  sip_max_error_px?: number;
}

const cases = fixture.cases as ICase[];

describe('TAN-SIP against astropy all_pix2world(..., 0)', () => {
  for (const c of cases) {
    const wcs = TanSipWcs.fromHeader(c.header);
    const scaleDeg = c.pixel_scale_arcsec / 3600;

    it(`pixel -> world: ${c.name}`, () => {
      c.x.forEach((x, i) => {
        const [ra, dec] = wcs.pixelToWorld(x, c.y[i]);
        const sep = separation(ra, dec, c.ra[i], c.dec[i]);
        // 1e-9 deg = 3.6 micro-arcsec: both evaluate the same committed header, only rounding differs
        expect(sep, `(${x}, ${c.y[i]})`).toBeLessThan(1e-9);
        expect(sep / scaleDeg).toBeLessThan(1e-3);
        expect(ra).toBeGreaterThanOrEqual(0);
        expect(ra).toBeLessThan(360);
      });
    });

    it(`world -> pixel: ${c.name}`, () => {
      c.x.forEach((x, i) => {
        const [px, py] = wcs.worldToPixel(c.ra[i], c.dec[i]);
        expect(Math.hypot(px - x, py - c.y[i]), `(${x}, ${c.y[i]})`).toBeLessThan(1e-3);
      });
    });

    it(`pixel scale: ${c.name}`, () => {
      // relative 1e-9: moves the edge of a 4088-px detector by 4e-6 px (astropy's side goes through
      // LAPACK's determinant on the machine that wrote the fixture)
      expect(Math.abs(pixelScaleArcsec(c.header) / c.pixel_scale_arcsec - 1)).toBeLessThan(1e-9);
    });

    if (c.gwcs_ra && c.gwcs_dec && c.sip_max_error_px !== undefined) {
      const gra = c.gwcs_ra;
      const gdec = c.gwcs_dec;
      const budget = Math.max(c.sip_max_error_px, 1e-6) * 1.01;
      it(`agrees with the gwcs within the store's measured SIP error (< 0.05 px): ${c.name}`, () => {
        c.x.forEach((x, i) => {
          const [ra, dec] = wcs.pixelToWorld(x, c.y[i]);
          const px = separation(ra, dec, gra[i], gdec[i]) / scaleDeg;
          expect(px).toBeLessThan(budget);
          expect(px).toBeLessThan(0.05);
        });
      });
    }
  }
});

describe('TanSipWcs', () => {
  const strong = cases.find(c => c.name === 'strong-distortion')!;
  const demo = cases.filter(c => c.gwcs_ra);

  it('inverts exactly although the AP/BP polynomials are crude or missing', () => {
    const withoutInverse = Object.fromEntries(Object.entries(strong.header).filter(([k]) => !/^(AP|BP)_/.test(k)));
    for (const header of [strong.header, withoutInverse]) {
      const wcs = TanSipWcs.fromHeader(header);
      for (const [x, y] of [[0, 0], [4087, 4087], [100.25, 3900.5], [2043.5, 2043.5]]) {
        const [ra, dec] = wcs.pixelToWorld(x, y);
        const [px, py] = wcs.worldToPixel(ra, dec);
        expect(Math.hypot(px - x, py - y)).toBeLessThan(1e-8);
      }
    }
  });

  it('measures the local pixel scale, distortion included', () => {
    const wcs = TanSipWcs.fromHeader(demo[0].header);
    const [x0, y0] = [Number(demo[0].header.CRPIX1) - 1, Number(demo[0].header.CRPIX2) - 1];
    expect(wcs.pixelScaleAt(x0, y0) / demo[0].pixel_scale_arcsec).toBeCloseTo(1, 5);
    const distorted = TanSipWcs.fromHeader(strong.header);
    expect(Math.abs(distorted.pixelScaleAt(0, 0) / strong.pixel_scale_arcsec - 1)).toBeGreaterThan(1e-3);
  });

  it('maps pixels between exposures through the sky', () => {
    const a = TanSipWcs.fromHeader(demo[0].header);
    const b = TanSipWcs.fromHeader(demo[1].header);
    const [bx, by] = mapPixel(a, b, 100, 120);
    const [ax, ay] = mapPixel(b, a, bx, by);
    expect(Math.hypot(ax - 100, ay - 120)).toBeLessThan(1e-9);
  });

  it('gives NaN on the far side of the sky', () => {
    const wcs = TanSipWcs.fromHeader(demo[0].header);
    const [ra, dec] = wcs.crval;
    expect(wcs.worldToPixel(ra + 180, -dec)).toEqual([NaN, NaN]);
  });

  it('says what is wrong with a header it cannot use', () => {
    expect(() => TanSipWcs.fromHeader({ ...strong.header, CTYPE1: 'RA---SIN' })).toThrow(WcsError);
    expect(() => TanSipWcs.fromHeader({ ...strong.header, CTYPE1: 'RA---SIN' })).toThrow(/RA---SIN/);
    const { CRPIX1: _unused, ...noCrpix } = strong.header;
    expect(() => TanSipWcs.fromHeader(noCrpix)).toThrow(/no CRPIX1/);
    expect(() => TanSipWcs.fromHeader({ ...strong.header, CRVAL2: 'north' })).toThrow(/CRVAL2 is not a number/);
    expect(() => TanSipWcs.fromHeader({ ...strong.header, PC1_1: 0, PC1_2: 0 })).toThrow(/singular/);
  });
});
