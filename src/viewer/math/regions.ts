/**
 * Sky circles in and out of the viewer: DS9 region files (what ds9, Imviz and astropy-regions
 * exchange) and the astropy-regions Python snippet of "Copy as Python".
 *
 * Only circles in fk5/icrs are read: the circle tool makes nothing else, and other shapes or
 * pixel/galactic coordinates are skipped with a note saying why, never silently. fk5 (J2000)
 * and ICRS differ by < 0.03 arcsec; a circle keeps the frame it was read in and is written
 * back in it.
 */

import { CoordinateError, formatFixed, ISkyPosition, parseCoordinate } from './sexagesimal';

export type SkyFrame = 'icrs' | 'fk5';

/** A circle on the sky: centre in degrees, radius in arcsec, optional DS9 text label. */
export interface ISkyCircle {
  ra: number;
  dec: number;
  radiusArcsec: number;
  frame: SkyFrame;
  text?: string;
}

/** A region of the file that was not read, and why. */
export interface IDs9Skipped {
  /** 1-based line number. */
  line: number;
  source: string;
  reason: string;
}

export interface IDs9Result {
  circles: ISkyCircle[];
  skipped: IDs9Skipped[];
}

const SKY_FRAMES: Readonly<Record<string, SkyFrame>> = { icrs: 'icrs', fk5: 'fk5', j2000: 'fk5' };
const OTHER_FRAMES = /^(image|physical|detector|amplifier|linear|fk4|b1950|galactic|ecliptic|wcs[a-z]?)$/;
const SHAPE = /^([+-]?)\s*([a-z]+)\s*(?:\((.*)\)|\s+(.*))?$/i;
/** Arcsec per unit of a DS9 radius: ", ', d, r, and degrees when it has no unit. */
const RADIUS_UNITS: Readonly<Record<string, number>> = {
  '"': 1,
  "'": 60,
  d: 3600,
  '': 3600,
  r: (180 / Math.PI) * 3600
};
const TEXT = /\btext\s*=\s*(?:\{([^}]*)\}|"([^"]*)"|'([^']*)')/;

/** Reads the sky circles of a DS9 region file. */
export function parseDs9(content: string): IDs9Result {
  const result: IDs9Result = { circles: [], skipped: [] };
  let frame: string | null = null;
  content.split(/\r?\n/).forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || /^global\b/i.test(line)) {
      return;
    }
    const hash = line.indexOf('#');
    const code = hash < 0 ? line : line.slice(0, hash);
    const comment = hash < 0 ? '' : line.slice(hash + 1);
    for (const statement of code.split(';').map(s => s.trim())) {
      const lower = statement.toLowerCase();
      if (statement === '') {
        continue;
      }
      if (lower in SKY_FRAMES || OTHER_FRAMES.test(lower)) {
        frame = lower;
        continue;
      }
      const skip = (reason: string): void => {
        result.skipped.push({ line: index + 1, source: statement, reason });
      };
      const shape = SHAPE.exec(statement);
      if (!shape) {
        skip('not a DS9 region');
      } else if (shape[2].toLowerCase() !== 'circle') {
        skip(`only circles are read, not ${shape[2].toLowerCase()}`);
      } else if (shape[1] === '-') {
        skip('an excluded region');
      } else if (frame === null) {
        skip('no coordinate system (fk5 or icrs) before it');
      } else if (!(frame in SKY_FRAMES)) {
        skip(`coordinates in ${frame} are not read: use fk5 or icrs`);
      } else {
        const circle = readCircle(shape[3] ?? shape[4] ?? '', SKY_FRAMES[frame], skip);
        if (circle) {
          const text = TEXT.exec(comment);
          if (text) {
            circle.text = text[1] ?? text[2] ?? text[3];
          }
          result.circles.push(circle);
        }
      }
    }
  });
  return result;
}

function readCircle(args: string, frame: SkyFrame, skip: (reason: string) => void): ISkyCircle | null {
  const parts = args.split(/[\s,]+/).filter(p => p !== '');
  if (parts.length !== 3) {
    skip('a circle needs a centre and a radius');
    return null;
  }
  let centre: ISkyPosition | null;
  try {
    centre = parseCoordinate(`${parts[0]} ${parts[1]}`);
  } catch (err) {
    skip(err instanceof CoordinateError ? err.message : String(err));
    return null;
  }
  const radius = /^([0-9.]+(?:e[+-]?\d+)?)(["'dr]?)$/i.exec(parts[2]);
  if (!centre || !radius) {
    skip(centre ? `the radius ${parts[2]} is not an angle` : 'the centre is not a sky position');
    return null;
  }
  return { ...centre, radiusArcsec: Number(radius[1]) * RADIUS_UNITS[radius[2].toLowerCase()], frame };
}

/**
 * A DS9 region file of circles, laid out as ds9 writes it (a frame line, then the shapes),
 * RA/Dec to 1e-8 deg and radius to 1e-4 arcsec. The same layout is spelled out in
 * tests/viewer_fixtures.py, which checks that astropy-regions reads it back.
 */
export function writeDs9(circles: readonly ISkyCircle[]): string {
  const lines = ['# Region file format: DS9 version 4.1', '# written by roman-lab'];
  let frame: SkyFrame | null = null;
  for (const c of circles) {
    if (c.frame !== frame) {
      frame = c.frame;
      lines.push(frame);
    }
    let line = `circle(${formatFixed(c.ra, 8)},${formatFixed(c.dec, 8)},${formatFixed(c.radiusArcsec, 4)}")`;
    if (c.text) {
      line += ` # text={${c.text.replace(/[{}]/g, '')}}`;
    }
    lines.push(line);
  }
  return lines.join('\n') + '\n';
}

/** The imports the Python snippets need. */
export const PYTHON_IMPORTS =
  'import astropy.units as u\nfrom astropy.coordinates import SkyCoord\nfrom regions import CircleSkyRegion';

/**
 * The astropy-regions expression of a circle: 10 decimals in degrees (0.4 micro-arcsec) and
 * 6 in arcsec, so Python rebuilds the circle the viewer shows far within 0.01 arcsec.
 */
export function circleToPython(c: ISkyCircle): string {
  return (
    'CircleSkyRegion(center=SkyCoord(' +
    `${formatFixed(c.ra, 10)} * u.deg, ${formatFixed(c.dec, 10)} * u.deg, frame="${c.frame}"), ` +
    `radius=${formatFixed(c.radiusArcsec, 6)} * u.arcsec)`
  );
}
