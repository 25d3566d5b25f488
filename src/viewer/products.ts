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

/** True for the files the Roman viewer opens. */
export function isRomanFile(path: string): boolean {
  return /\.asdf$/i.test(path);
}

/** Classifies a path by its Roman product suffix. */
export function romanProduct(path: string): IRomanProduct {
  const name = path.split('/').pop() ?? path;
  for (const [pattern, level, label] of SUFFIX_LEVELS) {
    if (pattern.test(name)) {
      return { name, level, label };
    }
  }
  return { name, level: null, label: isRomanFile(name) ? 'ASDF file' : 'not an ASDF file' };
}
