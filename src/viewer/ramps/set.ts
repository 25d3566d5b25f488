/**
 * The ramps of the pixels in a sky circle as `GET /roman-lab/api/ramps` returns them, and
 * the check that a response has that shape. Checked once at the door so the panel can index
 * the arrays without guarding every access, and so a server/frontend mismatch reads as a
 * sentence instead of a blank chart.
 */

/** A jump the server found: the difference `resultant - 1 -> resultant` of one pixel. */
export interface IRampJump {
  /** Index into `pixels`. */
  pixel: number;
  /** L2 science pixel. */
  x: number;
  y: number;
  /** The later resultant of the difference (1 .. n_resultants - 1). */
  resultant: number;
  /** The difference normalised by its expected noise (sigma). */
  significance: number;
  /** The differences the jump explains (index k - 1: into resultant k): one, or two around a hit inside a resultant. */
  differences?: number[];
  /** The pixel carries JUMP_DET in the L2 DQ. */
  pipeline_flagged: boolean;
  /** The later resultant is saturated: shown, but not a jump. */
  saturated: boolean;
}

/** One ramp response; field names as on the wire. */
export interface IRampSet {
  l2_path: string;
  l1_path: string;
  /** Mean time of each resultant, s (n_resultants). */
  times: number[];
  /** Frame numbers averaged into each resultant. */
  read_pattern: number[][];
  /** L2 science (x, y) of each pixel (N). */
  pixels: Array<[number, number]>;
  /** N x n_resultants, DN. Missing values (JSON null) are NaN. */
  counts: number[][];
  /** N x (n_resultants - 1): difference k-1 -> k normalised, sigma, at index k-1. NaN when missing. */
  significance: number[][];
  /** N x n_resultants: the best test of a hit between the reads of resultant k, sigma; NaN where there is none. */
  inside_significance?: number[][];
  /** The threshold the server detected with, sigma. */
  threshold: number;
  /** DN. */
  read_noise: number;
  /** e-/DN. */
  gain: number;
  note: string;
  jumps: IRampJump[];
  /**
   * (pixel index, resultant) of the jumps the pipeline recorded in the L2 (`jump_indices`), or
   * absent when the L2 records none (then the pixel's DQ JUMP_DET, via `jumps`, is all there is).
   */
  pipeline_jumps?: Array<[number, number]>;
  /** Saturated (pixel index, resultant) pairs. */
  saturated: Array<[number, number]>;
}

/** The response does not have the shape of a ramp set; the message says where. */
export class RampSetError extends Error {}

type Json = Record<string, unknown>;

function fail(message: string): never {
  throw new RampSetError(`Ramps response: ${message}`);
}

function field(obj: Json, key: string): unknown {
  if (!(key in obj)) {
    fail(`'${key}' is missing`);
  }
  return obj[key];
}

function finite(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    fail(`${where} must be a finite number, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A number, or NaN for JSON null (a value the server could not compute). */
function numberOrNaN(value: unknown, where: string): number {
  return value === null ? NaN : finite(value, where);
}

/** An array, of `length` items when given; `what` names the items and `why` says why that many. */
function array(value: unknown, where: string, length?: number, what = 'values', why = ''): unknown[] {
  if (!Array.isArray(value)) {
    fail(`${where} must be an array`);
  }
  if (length !== undefined && value.length !== length) {
    fail(`${where} has ${value.length} ${what}, expected ${length}${why && ` (${why})`}`);
  }
  return value;
}

function index(value: unknown, where: string, below: number): number {
  const i = finite(value, where);
  if (!Number.isInteger(i) || i < 0 || i >= below) {
    fail(`${where} = ${i} is not an index below ${below}`);
  }
  return i;
}

function matrix(value: unknown, key: string, rows: number, cols: number, why: string): number[][] {
  return array(value, key, rows, 'rows', 'one per pixel').map((row, i) =>
    array(row, `${key}[${i}]`, cols, 'values', why).map((v, k) => numberOrNaN(v, `${key}[${i}][${k}]`))
  );
}

function parseJump(value: unknown, i: number, nPixels: number, nResultants: number): IRampJump {
  const where = `jumps[${i}]`;
  if (typeof value !== 'object' || value === null) {
    fail(`${where} must be an object`);
  }
  const jump = value as Json;
  const flag = (key: string): boolean => {
    const v = field(jump, key);
    if (typeof v !== 'boolean') {
      fail(`${where}.${key} must be true or false`);
    }
    return v;
  };
  const resultant = index(field(jump, 'resultant'), `${where}.resultant`, nResultants);
  if (resultant === 0) {
    fail(`${where}.resultant is 0; a jump is the difference into resultant 1 or later`);
  }
  const differences =
    'differences' in jump && jump.differences !== null
      ? array(jump.differences, `${where}.differences`).map((d, j) => index(d, `${where}.differences[${j}]`, nResultants - 1))
      : undefined;
  return {
    pixel: index(field(jump, 'pixel'), `${where}.pixel`, nPixels),
    x: finite(field(jump, 'x'), `${where}.x`),
    y: finite(field(jump, 'y'), `${where}.y`),
    resultant,
    significance: finite(field(jump, 'significance'), `${where}.significance`),
    ...(differences ? { differences } : {}),
    pipeline_flagged: flag('pipeline_flagged'),
    saturated: flag('saturated')
  };
}

/** Validate a parsed JSON response as an `IRampSet`; throws `RampSetError` naming the bad field. */
export function parseRampSet(json: unknown): IRampSet {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    fail('expected a JSON object');
  }
  const obj = json as Json;
  const times = array(field(obj, 'times'), 'times').map((t, k) => finite(t, `times[${k}]`));
  const n = times.length;
  if (n < 2) {
    fail(`${n} resultant(s); a ramp needs at least 2`);
  }
  for (let k = 1; k < n; k++) {
    if (times[k] <= times[k - 1]) {
      fail(`times must increase (times[${k}] = ${times[k]} after ${times[k - 1]})`);
    }
  }
  const readPattern = array(field(obj, 'read_pattern'), 'read_pattern', n, 'resultants', 'one per time').map((reads, k) =>
    array(reads, `read_pattern[${k}]`).map((r, j) => finite(r, `read_pattern[${k}][${j}]`))
  );
  const pixels = array(field(obj, 'pixels'), 'pixels').map((p, i) => {
    const [x, y] = array(p, `pixels[${i}]`, 2);
    return [finite(x, `pixels[${i}][0]`), finite(y, `pixels[${i}][1]`)] as [number, number];
  });
  const nPixels = pixels.length;
  const counts = matrix(field(obj, 'counts'), 'counts', nPixels, n, 'one per resultant');
  const significance = matrix(field(obj, 'significance'), 'significance', nPixels, n - 1, 'one per difference');
  const inside =
    'inside_significance' in obj && obj.inside_significance !== null
      ? matrix(obj.inside_significance, 'inside_significance', nPixels, n, 'one per resultant')
      : undefined;
  const threshold = finite(field(obj, 'threshold'), 'threshold');
  if (threshold <= 0) {
    fail(`threshold must be positive, got ${threshold}`);
  }
  const text = (key: string): string => {
    const v = field(obj, key);
    if (typeof v !== 'string') {
      fail(`'${key}' must be a string`);
    }
    return v;
  };
  const jumps = array(field(obj, 'jumps'), 'jumps').map((j, i) => parseJump(j, i, nPixels, n));
  const pipelineJumps =
    'pipeline_jumps' in obj && obj.pipeline_jumps !== null
      ? array(obj.pipeline_jumps, 'pipeline_jumps').map((pair, s) => {
          const [i, k] = array(pair, `pipeline_jumps[${s}]`, 2);
          return [index(i, `pipeline_jumps[${s}][0]`, nPixels), index(k, `pipeline_jumps[${s}][1]`, n)] as [number, number];
        })
      : undefined;
  const saturated = array(field(obj, 'saturated'), 'saturated').map((pair, s) => {
    const [i, k] = array(pair, `saturated[${s}]`, 2);
    return [index(i, `saturated[${s}][0]`, nPixels), index(k, `saturated[${s}][1]`, n)] as [number, number];
  });
  return {
    l2_path: text('l2_path'),
    l1_path: text('l1_path'),
    times,
    read_pattern: readPattern,
    pixels,
    counts,
    significance,
    ...(inside ? { inside_significance: inside } : {}),
    threshold,
    read_noise: finite(field(obj, 'read_noise'), 'read_noise'),
    gain: finite(field(obj, 'gain'), 'gain'),
    note: 'note' in obj && obj.note !== null ? text('note') : '',
    jumps,
    ...(pipelineJumps ? { pipeline_jumps: pipelineJumps } : {}),
    saturated
  };
}

/** Each ramp minus its first resultant: the charge gathered since, free of the pixel's bias (NaN stays NaN). */
export function countsSinceFirst(counts: readonly (readonly number[])[]): number[][] {
  return counts.map(ramp => ramp.map(value => value - ramp[0]));
}
