import { describe, expect, it } from 'vitest';

import { chooseStep, IMesh, meshError, tileMesh } from './align';
import { IRect } from './tiles';
import { FitsHeader, mapPixel, TanSipWcs } from './wcs';

/**
 * A Roman WFI L2-like TAN-SIP header: 0.11"/px, a 4088^2 detector with CRPIX at its centre,
 * the CD matrix rotated by `rollDeg` (RA growing to the left at roll 0), and a SIP
 * distortion of a few pixels at the corners (quadratic + cubic), with a crude first-order
 * AP/BP inverse as the stores write (TanSipWcs refines it by Newton).
 */
function romanHeader(ra: number, dec: number, rollDeg: number): FitsHeader {
  const s = 0.11 / 3600;
  const r = (rollDeg * Math.PI) / 180;
  const sip: Record<string, number> = {
    A_2_0: 1.2e-6,
    A_1_1: -0.7e-6,
    A_0_2: 0.5e-6,
    A_3_0: 2.0e-10,
    A_1_2: -1.5e-10,
    B_2_0: -0.4e-6,
    B_1_1: 0.9e-6,
    B_0_2: 1.1e-6,
    B_2_1: 1.8e-10,
    B_0_3: -1.2e-10
  };
  const inverse: Record<string, number> = {};
  for (const [key, value] of Object.entries(sip)) {
    const [name, p, q] = key.split('_');
    if (Number(p) + Number(q) === 2) {
      inverse[`${name}P_${p}_${q}`] = -value;
    }
  }
  return {
    NAXIS: 2,
    NAXIS1: 4088,
    NAXIS2: 4088,
    CTYPE1: 'RA---TAN-SIP',
    CTYPE2: 'DEC--TAN-SIP',
    CRPIX1: 2044.5,
    CRPIX2: 2044.5,
    CRVAL1: ra,
    CRVAL2: dec,
    CD1_1: -s * Math.cos(r),
    CD1_2: s * Math.sin(r),
    CD2_1: s * Math.sin(r),
    CD2_2: s * Math.cos(r),
    A_ORDER: 3,
    B_ORDER: 3,
    AP_ORDER: 2,
    BP_ORDER: 2,
    ...sip,
    ...inverse
  };
}

const DEC = -30.2;
const headerA = romanHeader(80.5, DEC, 10);
// ~20" away: 15" east, 13" north
const headerB = romanHeader(80.5 + 15 / 3600 / Math.cos((DEC * Math.PI) / 180), DEC + 13 / 3600, 40);
const a = TanSipWcs.fromHeader(headerA);
const b = TanSipWcs.fromHeader(headerB);

/** The level-0 rect of the 512-px chunk (row, col) of a 4088^2 detector (as chunkRect). */
function chunk(row: number, col: number): IRect {
  const edge = (i: number): number => Math.min(i * 512, 4088) - 0.5;
  return { x0: edge(col), x1: edge(col + 1), y0: edge(row), y1: edge(row + 1) };
}

function checkIndices(mesh: IMesh): void {
  const count = mesh.positions.length / 2;
  expect(mesh.uvs.length).toBe(mesh.positions.length);
  expect(count).toBe(mesh.columns * mesh.rows);
  expect(mesh.indices.length % 3).toBe(0);
  for (const i of mesh.indices) {
    expect(Number.isInteger(i) && i >= 0 && i < count).toBe(true);
  }
}

describe('tileMesh', () => {
  it('maps an image onto itself as the plain pixel grid', () => {
    const rect = chunk(7, 7); // the 504 x 504 corner chunk: strongest distortion, uneven last cell
    // a second instance of the same header, so the mapping really goes through the sky
    const same = TanSipWcs.fromHeader(headerA);
    for (const to of [a, same]) {
      const mesh = tileMesh(rect, a, to, 64);
      expect([mesh.columns, mesh.rows]).toEqual([9, 9]);
      for (let j = 0; j < mesh.rows; j++) {
        for (let i = 0; i < mesh.columns; i++) {
          const k = j * mesh.columns + i;
          const x = Math.min(rect.x0 + 64 * i, rect.x1);
          const y = Math.min(rect.y0 + 64 * j, rect.y1);
          expect(Math.abs(mesh.ox + mesh.positions[2 * k] - x)).toBeLessThan(1e-4);
          expect(Math.abs(mesh.oy + mesh.positions[2 * k + 1] - y)).toBeLessThan(1e-4);
          expect(mesh.uvs[2 * k]).toBeCloseTo((x - rect.x0) / 504, 6);
          expect(mesh.uvs[2 * k + 1]).toBeCloseTo((y - rect.y0) / 504, 6);
        }
      }
      expect(mesh.indices.length).toBe(8 * 8 * 2 * 3);
      checkIndices(mesh);
    }
  });

  it('puts each vertex at its exact sky mapping, relative to a float64 origin', () => {
    const rect = chunk(0, 7);
    const mesh = tileMesh(rect, a, b, 32);
    checkIndices(mesh);
    expect(mesh.indices).toBeInstanceOf(Uint16Array);
    expect(Number.isInteger(mesh.ox) && Number.isInteger(mesh.oy)).toBe(true);
    let worst = 0;
    let largest = 0;
    for (let j = 0; j < mesh.rows; j++) {
      for (let i = 0; i < mesh.columns; i++) {
        const k = j * mesh.columns + i;
        const [x, y] = mapPixel(a, b, Math.min(rect.x0 + 32 * i, rect.x1), Math.min(rect.y0 + 32 * j, rect.y1));
        const [px, py] = [mesh.ox + mesh.positions[2 * k], mesh.oy + mesh.positions[2 * k + 1]];
        worst = Math.max(worst, Math.hypot(px - x, py - y));
        largest = Math.max(largest, Math.abs(mesh.positions[2 * k]), Math.abs(mesh.positions[2 * k + 1]));
      }
    }
    // float32 rounding of coordinates < 512 px relative to the origin, not of ~4000 px ones
    expect(worst).toBeLessThan(5e-5);
    expect(largest).toBeLessThan(512);
    // the images differ: the tile does land somewhere else in the reference frame
    expect(Math.hypot(mesh.ox - (rect.x0 + rect.x1) / 2, mesh.oy - (rect.y0 + rect.y1) / 2)).toBeGreaterThan(50);
  });

  it('uses 32-bit indices when a mesh has more than 65536 vertices', () => {
    const mesh = tileMesh({ x0: -0.5, y0: -0.5, x1: 4087.5, y1: 4087.5 }, a, a, 8);
    expect(mesh.columns * mesh.rows).toBe(512 * 512);
    expect(mesh.indices).toBeInstanceOf(Uint32Array);
  });

  it('drops the triangles of vertices that do not map (the other hemisphere)', () => {
    // a 10 deg/px image centred on (0, 0) spans most of a hemisphere in a few pixels; the
    // reference, centred 100 deg away, has no pixel for its western part
    const wide = TanSipWcs.fromHeader({
      CTYPE1: 'RA---TAN',
      CTYPE2: 'DEC--TAN',
      CRPIX1: 4.5,
      CRPIX2: 4.5,
      CRVAL1: 0,
      CRVAL2: 0,
      CD1_1: -10,
      CD1_2: 0,
      CD2_1: 0,
      CD2_2: 10
    });
    const far = TanSipWcs.fromHeader({ ...headerA, CRVAL1: 270, CRVAL2: 0 });
    const rect = { x0: -0.5, y0: -0.5, x1: 7.5, y1: 7.5 };
    const mesh = tileMesh(rect, wide, far, 1);
    checkIndices(mesh);
    const finite: boolean[] = [];
    for (let j = 0; j < mesh.rows; j++) {
      for (let i = 0; i < mesh.columns; i++) {
        const [x, y] = mapPixel(wide, far, rect.x0 + i, rect.y0 + j);
        finite.push(Number.isFinite(x) && Number.isFinite(y));
      }
    }
    const lost = finite.filter(f => !f).length;
    expect(lost).toBeGreaterThan(0);
    expect(lost).toBeLessThan(finite.length);
    for (const i of mesh.indices) {
      expect(finite[i]).toBe(true);
    }
    // every triangle whose three vertices map is kept
    let expected = 0;
    for (let j = 0; j + 1 < mesh.rows; j++) {
      for (let i = 0; i + 1 < mesh.columns; i++) {
        const k = j * mesh.columns + i;
        const [p, q, r, s] = [finite[k], finite[k + 1], finite[k + mesh.columns], finite[k + mesh.columns + 1]];
        expected += Number(p && q && s) + Number(p && s && r);
      }
    }
    expect(expected).toBeGreaterThan(0);
    expect(mesh.indices.length).toBe(3 * expected);
    for (const value of mesh.positions) {
      expect(Number.isFinite(value)).toBe(true);
    }
    expect(Number.isFinite(meshError(rect, wide, far, 1, 2))).toBe(true);
  });

  it('rejects empty tiles and non-positive steps', () => {
    expect(() => tileMesh({ x0: 0, y0: 0, x1: 0, y1: 10 }, a, b, 8)).toThrow(RangeError);
    expect(() => tileMesh(chunk(0, 0), a, b, 0)).toThrow(RangeError);
    expect(() => tileMesh(chunk(0, 0), a, b, NaN)).toThrow(RangeError);
  });
});

describe('meshError', () => {
  const corner = chunk(0, 0); // 512 x 512 at a detector corner, where the distortion is largest

  it('is below 0.01 px for a 512-px tile meshed every 32 px', () => {
    expect(meshError(corner, a, b, 32)).toBeLessThan(0.01);
    expect(meshError(chunk(7, 7), a, b, 32)).toBeLessThan(0.01);
  });

  it('grows with the step, so a too-coarse mesh is caught', () => {
    const fine = meshError(corner, a, b, 32);
    const coarse = meshError(corner, a, b, 512);
    expect(coarse).toBeGreaterThan(0.01);
    expect(coarse).toBeGreaterThan(20 * fine);
    expect(meshError(corner, a, b, 128)).toBeGreaterThan(fine);
  });

  it('is float32 rounding only for an image onto itself', () => {
    expect(meshError(corner, a, TanSipWcs.fromHeader(headerA), 512)).toBeLessThan(1e-4);
  });
});

describe('chooseStep', () => {
  it('picks the coarsest power-of-two step that meets the tolerance', () => {
    for (const rect of [chunk(0, 0), chunk(3, 4), chunk(7, 7)]) {
      for (const tolerance of [0.01, 0.001]) {
        const step = chooseStep(rect, a, b, tolerance);
        expect(Math.log2(step) % 1).toBe(0);
        expect(step).toBeGreaterThanOrEqual(8);
        expect(step).toBeLessThanOrEqual(512);
        expect(meshError(rect, a, b, step)).toBeLessThan(tolerance);
        if (step < 512) {
          expect(meshError(rect, a, b, 2 * step)).toBeGreaterThanOrEqual(tolerance);
        }
      }
    }
  });

  it('takes the whole tile as one cell when the map is affine', () => {
    expect(chooseStep(chunk(2, 2), a, TanSipWcs.fromHeader(headerA))).toBe(512);
  });
});
