import { describe, expect, it } from 'vitest';

import fixture from './fixtures/regions.json';
import { circleToPython, ISkyCircle, parseDs9, SkyFrame, writeDs9 } from './regions';

interface IPyCircle {
  ra: number;
  dec: number;
  radius_arcsec: number;
  frame: string;
  text?: string;
}

const fromPython = (c: IPyCircle): ISkyCircle => ({
  ra: c.ra,
  dec: c.dec,
  radiusArcsec: c.radius_arcsec,
  frame: c.frame as SkyFrame,
  ...(c.text !== undefined ? { text: c.text } : {})
});

function expectSameCircles(got: ISkyCircle[], expected: ISkyCircle[], arcsec: number): void {
  expect(got).toHaveLength(expected.length);
  got.forEach((c, i) => {
    const e = expected[i];
    expect(c.frame).toBe(e.frame);
    expect(c.text).toBe(e.text);
    expect(Math.abs(c.ra - e.ra) * 3600 * Math.cos((e.dec * Math.PI) / 180)).toBeLessThan(arcsec);
    expect(Math.abs(c.dec - e.dec) * 3600).toBeLessThan(arcsec);
    expect(Math.abs(c.radiusArcsec - e.radiusArcsec)).toBeLessThan(arcsec);
  });
}

describe('DS9 files read as astropy-regions reads them', () => {
  for (const input of fixture.inputs) {
    it(input.name, () => {
      const result = parseDs9(input.text);
      expectSameCircles(result.circles, (input.circles as IPyCircle[]).map(fromPython), 1e-6);
      expect(result.skipped).toHaveLength(input.skipped);
    });
  }

  it('says why it skipped a region', () => {
    const reasons = parseDs9(fixture.inputs[0].text).skipped.map(s => `${s.line}: ${s.reason}`);
    expect(reasons).toEqual([
      '7: only circles are read, not box',
      '8: an excluded region',
      '12: only circles are read, not point',
      '14: coordinates in image are not read: use fk5 or icrs'
    ]);
    expect(parseDs9('circle(1,2,3")').skipped[0].reason).toMatch(/no coordinate system/);
    expect(parseDs9('icrs\ncircle(1,2)').skipped[0].reason).toMatch(/centre and a radius/);
    expect(parseDs9('icrs\ncircle(1,95,3")').skipped[0].reason).toMatch(/-90..\+90/);
    expect(parseDs9('icrs\ncircle(1,2,3p)').skipped[0].reason).toMatch(/radius 3p/);
  });
});

describe('writing circles', () => {
  const circles = (fixture.write.circles as IPyCircle[]).map(fromPython);

  it('writes the DS9 text that astropy-regions reads back (checked by tests/test_viewer_fixtures.py)', () => {
    expect(writeDs9(circles)).toBe(fixture.write.ds9);
  });

  it('reads back what it writes within 1e-4 arcsec', () => {
    expectSameCircles(parseDs9(writeDs9(circles)).circles, circles, 1e-4);
  });

  it('writes the Python that rebuilds each circle (evaluated by tests/test_viewer_fixtures.py)', () => {
    expect(circles.map(circleToPython)).toEqual(fixture.write.python);
  });
});
