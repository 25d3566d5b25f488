/**
 * What a Roman file is, judged from its name alone, so the file browser and the
 * viewer can label a file before the server has read it.
 *
 * Roman's science data products follow `<root>_<suffix>.asdf`: `_uncal` is the
 * Level 1 ramp, `_cal` the Level 2 calibrated exposure, `_coadd`/`_i2d` Level 3.
 */

export type RomanLevel = 1 | 2 | 3;

export interface IRomanProduct {
  /** The file name without folders. */
  name: string;
  /** The processing level, or null when the name does not say. */
  level: RomanLevel | null;
  /** A short label for people: "L2 calibrated exposure". */
  label: string;
}

const SUFFIX_LEVELS: Array<[RegExp, RomanLevel, string]> = [
  [/_uncal\.asdf$/i, 1, 'L1 up-the-ramp exposure'],
  [/_cal\.asdf$/i, 2, 'L2 calibrated exposure'],
  [/_(coadd|i2d)\.asdf$/i, 3, 'L3 mosaic']
];

/** True for the files the Roman viewer opens as documents. */
export function isRomanFile(path: string): boolean {
  return /\.asdf$/i.test(path);
}

/** True for FITS images, which join a blink stack as the user's own images. */
export function isFitsFile(path: string): boolean {
  return /\.(fits?|fts)(\.gz)?$/i.test(path);
}

/** What an image is in a blink stack: an L2 exposure, an L3 mosaic, or the user's own. */
export function stackKind(path: string): 'exposure' | 'mosaic' | 'user' {
  const level = romanProduct(path).level;
  return level === 2 ? 'exposure' : level === 3 ? 'mosaic' : 'user';
}

/** Classifies a path by its Roman product suffix. */
export function romanProduct(path: string): IRomanProduct {
  const name = path.split('/').pop() ?? path;
  for (const [pattern, level, label] of SUFFIX_LEVELS) {
    if (pattern.test(name)) {
      return { name, level, label };
    }
  }
  const label = isRomanFile(name) ? 'ASDF file' : isFitsFile(name) ? 'FITS image' : 'not an ASDF file';
  return { name, level: null, label };
}
