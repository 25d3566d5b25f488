/**
 * astropy.visualization's intervals and stretches, in TypeScript.
 *
 * The viewer applies them on the GPU (glsl.ts); this is the CPU twin of that shader and
 * the place where the interval limits are computed, so that "log stretch, zscale" in the
 * viewer means exactly what it means in astropy (tested against astropy's numbers in
 * stretch.test.ts). Normalisation is `ImageNormalize(data, interval, stretch, clip=True)`:
 * x = clip((v - vmin) / (vmax - vmin), 0, 1), then the stretch; NaN stays NaN.
 */

/** Stretch names: astropy's classes without "Stretch" (HistEqStretch is 'histeq'). */
export type StretchName = 'linear' | 'sqrt' | 'log' | 'asinh' | 'sinh' | 'power' | 'histeq';

export const STRETCH_NAMES: readonly StretchName[] = [
  'linear',
  'sqrt',
  'log',
  'asinh',
  'sinh',
  'power',
  'histeq'
];

/** astropy's default `a` (PowerStretch has none: the caller must give it). */
export const STRETCH_DEFAULT_A: Readonly<Record<'log' | 'asinh' | 'sinh', number>> = {
  log: 1000,
  asinh: 0.1,
  sinh: 1 / 3
};

/** A ready-to-apply stretch: its parameter, or for 'histeq' the knots of its lookup table. */
export type Stretch =
  | { name: 'linear' | 'sqrt' }
  | { name: 'log' | 'asinh' | 'sinh' | 'power'; a: number }
  | { name: 'histeq'; knots: Float64Array };

/** What a user or Python asks for: a name and, where it has one, the parameter `a`. */
export interface IStretchSpec {
  name: StretchName;
  a?: number;
}

/**
 * At most this many histogram-equalisation knots go to the GPU (a 1024 x 64 float texture,
 * 17 texel fetches per fragment); a larger sample is reduced to evenly ranked order
 * statistics, which is astropy's HistEqStretch of that sub-sample.
 */
export const HISTEQ_MAX_KNOTS = 1 << 16;

/** Builds a stretch from its spec; 'histeq' needs a data sample (e.g. the coarsest level). */
export function makeStretch(spec: IStretchSpec, sample?: ArrayLike<number>): Stretch {
  switch (spec.name) {
    case 'linear':
    case 'sqrt':
      return { name: spec.name };
    case 'histeq':
      if (!sample) {
        throw new Error('the histeq stretch needs a data sample');
      }
      return { name: 'histeq', knots: histEqKnots(sample) };
    case 'power':
      if (spec.a === undefined) {
        throw new Error('the power stretch needs its exponent a');
      }
      return { name: 'power', a: checkA(spec.a) };
    default:
      return { name: spec.name, a: checkA(spec.a ?? STRETCH_DEFAULT_A[spec.name]) };
  }
}

function checkA(a: number): number {
  if (!(a > 0) || !Number.isFinite(a)) {
    throw new RangeError(`the stretch parameter a must be a positive number, not ${a}`);
  }
  return a;
}

/**
 * HistEqStretch(sample).data: the sorted finite sample scaled to [0, 1] by its own min and
 * max. A constant sample (where astropy divides 0 by 0) gives the identity [0, 1].
 */
export function histEqKnots(sample: ArrayLike<number>, maxKnots = HISTEQ_MAX_KNOTS): Float64Array {
  const sorted = sortedFinite(sample);
  const n = sorted.length;
  if (n === 0) {
    throw new RangeError('the histeq sample has no finite values');
  }
  const lo = sorted[0];
  const span = sorted[n - 1] - lo;
  if (span === 0) {
    return Float64Array.of(0, 1);
  }
  const count = Math.max(2, Math.min(n, maxKnots));
  const knots = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const i = count === n ? k : Math.round((k * (n - 1)) / (count - 1));
    knots[k] = (sorted[i] - lo) / span;
  }
  return knots;
}

/** numpy.interp(x, knots, linspace(0, 1, n)) as astropy's HistEqStretch calls it. */
function histEq(knots: Float64Array, x: number): number {
  const n = knots.length;
  // j = (number of knots <= x) - 1: numpy's search, which picks the last of equal knots
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (knots[mid] <= x) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  const j = lo - 1;
  if (j < 0) {
    return 0;
  }
  if (j >= n - 1) {
    return 1;
  }
  const x0 = knots[j];
  if (x0 === x) {
    return j / (n - 1);
  }
  return (j + (x - x0) / (knots[j + 1] - x0)) / (n - 1);
}

/** The stretch of one value x already in [0, 1] (astropy's stretch(x, clip=False)). */
export function stretchValue(stretch: Stretch, x: number): number {
  if (Number.isNaN(x)) {
    return x;
  }
  switch (stretch.name) {
    case 'linear':
      return x;
    case 'sqrt':
      return Math.sqrt(x);
    case 'log':
      return Math.log(stretch.a * x + 1) / Math.log(stretch.a + 1);
    case 'asinh':
      return Math.asinh(x / stretch.a) / Math.asinh(1 / stretch.a);
    case 'sinh':
      return Math.sinh(x / stretch.a) / Math.sinh(1 / stretch.a);
    case 'power':
      return Math.pow(x, stretch.a);
    case 'histeq':
      return histEq(stretch.knots, x);
  }
}

/** What the shader needs: the interval limits (data units) and the stretch. */
export interface INormalization {
  vmin: number;
  vmax: number;
  stretch: Stretch;
}

/** Checks vmin <= vmax as ImageNormalize does (it raises otherwise). */
export function makeNormalization(vmin: number, vmax: number, stretch: Stretch): INormalization {
  if (!(vmin <= vmax)) {
    throw new RangeError(`vmin (${vmin}) must be less than or equal to vmax (${vmax})`);
  }
  return { vmin, vmax, stretch };
}

/**
 * ImageNormalize(clip=True) of one data value: in [0, 1], or NaN for NaN. When vmin == vmax
 * astropy multiplies by 0 (so every finite value gives 0 and +-inf gives NaN).
 */
export function normalizeValue(norm: INormalization, v: number): number {
  const { vmin, vmax } = norm;
  if (vmin === vmax) {
    return v * 0;
  }
  const x = (v - vmin) / (vmax - vmin);
  return stretchValue(norm.stretch, x < 0 ? 0 : x > 1 ? 1 : x);
}

/** normalizeValue over an array, into float32 (colorbars, PNG export, tests). */
export function normalizeArray(
  norm: INormalization,
  values: ArrayLike<number>,
  out: Float32Array = new Float32Array(values.length)
): Float32Array {
  for (let i = 0; i < values.length; i++) {
    out[i] = normalizeValue(norm, values[i]);
  }
  return out;
}

// --------------------------------------------------------------------------- intervals

/** astropy's ZScaleInterval parameters, with its defaults in ZSCALE_DEFAULTS. */
export interface IZScaleOptions {
  nSamples: number;
  contrast: number;
  maxReject: number;
  minNpixels: number;
  krej: number;
  maxIterations: number;
}

export const ZSCALE_DEFAULTS: Readonly<IZScaleOptions> = {
  nSamples: 1000,
  contrast: 0.25,
  maxReject: 0.5,
  minNpixels: 5,
  krej: 2.5,
  maxIterations: 5
};

/**
 * The interval kinds: MinMaxInterval, PercentileInterval(percentile),
 * AsymmetricPercentileInterval(lower, upper), ZScaleInterval(...), ManualInterval(vmin, vmax)
 * (a missing manual limit is the data's min or max, as in astropy).
 */
export type Interval =
  | { kind: 'minmax' }
  | { kind: 'percentile'; percentile: number }
  | { kind: 'asymmetric'; lower: number; upper: number }
  | ({ kind: 'zscale' } & Partial<IZScaleOptions>)
  | { kind: 'manual'; vmin?: number; vmax?: number };

/** The (vmin, vmax) of an interval for these data values (NaN and +-inf are ignored). */
export function intervalLimits(interval: Interval, values: ArrayLike<number>): [number, number] {
  switch (interval.kind) {
    case 'minmax':
      return minMaxLimits(values);
    case 'percentile': {
      const lower = (100 - interval.percentile) * 0.5;
      return percentileLimits(values, lower, 100 - lower);
    }
    case 'asymmetric':
      return percentileLimits(values, interval.lower, interval.upper);
    case 'zscale':
      return zscaleLimits(values, interval);
    case 'manual': {
      if (interval.vmin !== undefined && interval.vmax !== undefined) {
        return [interval.vmin, interval.vmax];
      }
      const [lo, hi] = minMaxLimits(values);
      return [interval.vmin ?? lo, interval.vmax ?? hi];
    }
  }
}

/** MinMaxInterval: the smallest and largest finite value. */
export function minMaxLimits(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo && v > -Infinity) {
      lo = v;
    }
    if (v > hi && v < Infinity) {
      hi = v;
    }
  }
  if (lo > hi) {
    throw new RangeError(NO_FINITE);
  }
  return [lo, hi];
}

const NO_FINITE = 'the image has no finite values to compute an interval from';

/**
 * AsymmetricPercentileInterval: numpy.percentile's default ('linear') of the finite values.
 * Sorts a copy: for a full 4088^2 image pass a sample (e.g. the coarsest pyramid level).
 */
export function percentileLimits(values: ArrayLike<number>, lower: number, upper: number): [number, number] {
  const sorted = sortedFinite(values);
  if (sorted.length === 0) {
    throw new RangeError(NO_FINITE);
  }
  return [quantile(sorted, lower / 100), quantile(sorted, upper / 100)];
}

/** numpy's linear quantile of sorted values, with its two-sided lerp. */
function quantile(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  const index = (n - 1) * q;
  const below = Math.min(Math.max(Math.floor(index), 0), n - 1);
  const above = Math.min(below + 1, n - 1);
  const gamma = index - below;
  const a = sorted[below];
  const b = sorted[above];
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/**
 * ZScaleInterval.get_limits, step by step as astropy implements IRAF's zscale: an evenly
 * strided sample of the flattened finite values, a line fitted to the sorted sample with
 * k-sigma rejection (rejected pixels dilated by 1% of the sample), and limits from the
 * median and slope / contrast, never beyond the sample's min and max.
 */
export function zscaleLimits(values: ArrayLike<number>, options: Partial<IZScaleOptions> = {}): [number, number] {
  const o = { ...ZSCALE_DEFAULTS, ...options };
  let finite = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) {
      finite++;
    }
  }
  if (finite === 0) {
    throw new RangeError(NO_FINITE);
  }
  const stride = Math.max(1, Math.trunc(finite / o.nSamples));
  const npix = Math.min(o.nSamples, Math.ceil(finite / stride));
  const samples = new Float64Array(npix);
  for (let i = 0, k = 0, taken = 0; i < values.length && taken < npix; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      if (k % stride === 0) {
        samples[taken++] = v;
      }
      k++;
    }
  }
  samples.sort();

  let vmin = samples[0];
  let vmax = samples[npix - 1];
  const minpix = Math.max(o.minNpixels, Math.trunc(npix * o.maxReject));
  const ngrow = Math.max(1, Math.trunc(npix * 0.01));
  let bad: Uint8Array = new Uint8Array(npix);
  let ngood = npix;
  let lastNgood = npix + 1;
  let slope = 0;
  const flat = new Float64Array(npix);
  for (let iteration = 0; iteration < o.maxIterations; iteration++) {
    if (ngood >= lastNgood || ngood < minpix) {
      break;
    }
    const fit = fitLine(samples, bad);
    slope = fit[0];
    // k-sigma rejection around the fitted line (population std of the good residuals)
    let sum = 0;
    let sum2 = 0;
    let n = 0;
    for (let i = 0; i < npix; i++) {
      flat[i] = samples[i] - (fit[0] * i + fit[1]);
      if (!bad[i]) {
        sum += flat[i];
        n++;
      }
    }
    const mean = sum / n;
    for (let i = 0; i < npix; i++) {
      if (!bad[i]) {
        sum2 += (flat[i] - mean) ** 2;
      }
    }
    const threshold = o.krej * Math.sqrt(sum2 / n);
    for (let i = 0; i < npix; i++) {
      if (flat[i] < -threshold || flat[i] > threshold) {
        bad[i] = 1;
      }
    }
    bad = dilate(bad, ngrow);
    lastNgood = ngood;
    ngood = 0;
    for (let i = 0; i < npix; i++) {
      ngood += bad[i] ? 0 : 1;
    }
  }
  if (ngood >= minpix) {
    if (o.contrast > 0) {
      slope /= o.contrast;
    }
    const center = Math.trunc((npix - 1) / 2);
    const half = npix >> 1;
    const median = npix % 2 ? samples[half] : (samples[half - 1] + samples[half]) / 2;
    vmin = Math.max(vmin, median - (center - 1) * slope);
    vmax = Math.min(vmax, median + (npix - center) * slope);
  }
  return [vmin, vmax];
}

/** Least-squares line [slope, intercept] through (i, y[i]) for the good i (numpy.polyfit, w = 0/1). */
function fitLine(y: Float64Array, bad: Uint8Array): [number, number] {
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < y.length; i++) {
    if (!bad[i]) {
      n++;
      sx += i;
      sy += y[i];
    }
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < y.length; i++) {
    if (!bad[i]) {
      sxx += (i - mx) ** 2;
      sxy += (i - mx) * (y[i] - my);
    }
  }
  const slope = sxy / sxx;
  return [slope, my - slope * mx];
}

/** numpy.convolve(mask, ones(width, bool), mode='same'): the OR over a window. */
function dilate(mask: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  const start = width >> 1;
  for (let i = 0; i < mask.length; i++) {
    const lo = Math.max(0, i - start);
    const hi = Math.min(mask.length - 1, i - start + width - 1);
    for (let j = lo; j <= hi; j++) {
      if (mask[j]) {
        out[i] = 1;
        break;
      }
    }
  }
  return out;
}

/** The finite values, sorted, in float64 (exact for float32 input). */
function sortedFinite(values: ArrayLike<number>): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    n += Number.isFinite(values[i]) ? 1 : 0;
  }
  const out = new Float64Array(n);
  for (let i = 0, k = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) {
      out[k++] = values[i];
    }
  }
  return out.sort();
}
