/**
 * One image of a blink stack: its store, pyramid, WCS and its own display (stretch,
 * interval, colormap and the limits they give on its pixels). The view draws the current
 * image of a stack in the pixel frame of a reference image (stack.ts, view.ts).
 */
import { colormapLUT } from './math/colormap';
import { Interval, intervalLimits, INormalization, IStretchSpec, makeNormalization, makeStretch } from './math/stretch';
import { IPyramid } from './math/tiles';
import { TanSipWcs } from './math/wcs';
import { IPyramidLevel, RomanStore } from './store';

/** What a user or Python asks for: astropy's stretch and interval, a matplotlib colormap name. */
export interface IDisplaySettings {
  stretch: IStretchSpec;
  interval: Interval;
  colormap: string;
}

/** What the stack list shows of an image. */
export interface IImageInfo {
  /** Unique in its stack. */
  id: string;
  /** Where it came from (root-relative path), for state and for the user. */
  path: string;
  name: string;
  kind: 'exposure' | 'mosaic' | 'user';
  /** Exposure start (ISO) or null. */
  time: string | null;
  detector: string | null;
  mark: 'suspicious' | null;
  /** The id of the image whose WCS this one borrows (user images without a WCS), else null. */
  wcsFrom: string | null;
}

export const DEFAULT_DISPLAY: Readonly<IDisplaySettings> = {
  stretch: { name: 'linear' },
  interval: { kind: 'percentile', percentile: 99.5 },
  colormap: 'grey'
};

/** What the limits below read of a store's statistics (see store.ts, docs/store-format.md). */
export interface IRankedStatistics {
  min: number;
  max: number;
  /** Sparse percentiles {"0.5", "1", ..., "99.9"}: the fallback of stores without `quantiles`. */
  percentiles: Record<string, number>;
  /** Evenly ranked values: quantiles[i] at percentile 100 i / (length - 1). */
  quantiles?: number[] | null;
  /** Dense knots in the tails (ranks 0-2 and 98-100 every 0.01 percent). */
  tail_quantiles?: { percentiles: number[]; values: number[] } | null;
}

/** Percentiles (increasing) and the values at them, to interpolate in rank. */
interface IKnots {
  percents: Float64Array;
  values: Float64Array;
}

const knotCache = new WeakMap<IRankedStatistics, IKnots>();

/**
 * The rank knots of a store's statistics, like ranked_knots in roman_lab/display.py:
 * the 1025 evenly ranked `quantiles` and the dense `tail_quantiles` when the store has them,
 * else (stores older than `quantiles`) the sparse percentiles; rank 0 and 100 are always the
 * exact min and max.
 */
function rankedKnots(stats: IRankedStatistics): IKnots {
  const cached = knotCache.get(stats);
  if (cached) {
    return cached;
  }
  const pairs: Array<[number, number]> = [];
  const quantiles = stats.quantiles;
  if (quantiles && quantiles.length >= 2) {
    const last = quantiles.length - 1;
    quantiles.forEach((value, i) => pairs.push([(100 * i) / last, value]));
    const tails = stats.tail_quantiles;
    if (tails && tails.percentiles.length && tails.percentiles.length === tails.values.length) {
      tails.percentiles.forEach((q, i) => pairs.push([q, tails.values[i]]));
    }
  } else {
    for (const [q, value] of Object.entries(stats.percentiles)) {
      if (value !== null && value !== undefined) {
        pairs.push([Number(q), value]);
      }
    }
  }
  // the exact ends first; a stable sort keeps them before stored knots at 0 and 100
  const sorted = [[0, stats.min] as [number, number], [100, stats.max] as [number, number], ...pairs]
    .filter(([q]) => q >= 0 && q <= 100)
    .sort((a, b) => a[0] - b[0]);
  const kept = sorted.filter((pair, i) => i === 0 || pair[0] !== sorted[i - 1][0]);
  const knots = {
    percents: Float64Array.from(kept, ([q]) => q),
    values: Float64Array.from(kept, ([, value]) => value)
  };
  knotCache.set(stats, knots);
  return knots;
}

/** The value at `percent` (0-100), linear in rank between the knots around it. */
function valueAt({ percents, values }: IKnots, percent: number): number {
  const n = percents.length;
  if (percent <= percents[0]) {
    return values[0];
  }
  if (percent >= percents[n - 1]) {
    return values[n - 1];
  }
  let lo = 0;
  let hi = n - 1; // percents[lo] < percent <= percents[hi]
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (percents[mid] < percent) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  const t = (percent - percents[lo]) / (percents[hi] - percents[lo]);
  return values[lo] + (values[hi] - values[lo]) * t;
}

/**
 * (vmin, vmax) at percentiles `lower` and `upper` (0-100) of the whole image a store's
 * statistics describe: astropy's AsymmetricPercentileInterval(lower, upper) (numpy.percentile
 * of the finite pixels), interpolated in rank between the stored knots; within 0.1 percentile
 * rank of astropy's on the full image (tested on a heavy-tailed image,
 * fixtures/displayLimits.json). The one way the viewer gets a percentile limit; Python's is
 * percentile_limits in roman_lab/display.py.
 */
export function percentileLimits(stats: IRankedStatistics, lower: number, upper: number): [number, number] {
  const knots = rankedKnots(stats);
  return [valueAt(knots, lower), valueAt(knots, upper)];
}

/** (vmin, vmax) of astropy's PercentileInterval(p): percentiles (100 - p) / 2 and 100 - that. */
export function percentileInterval(stats: IRankedStatistics, percentile: number): [number, number] {
  const lower = (100 - percentile) / 2;
  return percentileLimits(stats, lower, 100 - lower);
}

export class StackImage {
  private constructor(
    readonly info: IImageInfo,
    public store: RomanStore,
    public levels: IPyramidLevel[],
    public dq: Awaited<ReturnType<RomanStore['dq']>>,
    /** Its own TAN-SIP WCS from the store (null: none; see `wcsFrom`). */
    readonly ownWcs: TanSipWcs | null
  ) {}

  static async open(store: RomanStore, info: IImageInfo): Promise<StackImage> {
    const [levels, dq] = await Promise.all([store.pyramid(), store.dq()]);
    const header = store.attrs.fits_wcs;
    let wcs: TanSipWcs | null = null;
    if (header) {
      try {
        wcs = TanSipWcs.fromHeader(header);
      } catch {
        wcs = null; // drawn with a borrowed WCS, or not aligned (the list says so)
      }
    }
    return new StackImage(info, store, levels, dq, wcs);
  }

  /** Picks up pyramid levels and arrays that appeared since (a display-ready store completing). */
  async refresh(): Promise<boolean> {
    this.store = await this.store.refresh();
    [this.levels, this.dq] = await Promise.all([this.store.pyramid(), this.store.dq()]);
    return this.store.attrs.complete;
  }

  get id(): string {
    return this.info.id;
  }

  /** Rows, columns of the full-resolution image. */
  get shape(): [number, number] {
    const shape = this.store.attrs.shape;
    return [shape[shape.length - 2], shape[shape.length - 1]];
  }

  /** All levels (written or not) as math/tiles sees them: shapes from the store, chunks of the written ones. */
  get pyramid(): IPyramid {
    const shapes = this.store.attrs.pyramid_shapes ?? this.levels.map(level => level.shape);
    const chunkOf = (index: number): readonly [number, number] =>
      this.levels.find(level => level.index === index)?.chunks ?? this.levels[this.levels.length - 1].chunks;
    return { levels: shapes.map((shape, index) => ({ shape: [shape[0], shape[1]] as const, chunk: chunkOf(index) })) };
  }

  get coarsest(): IPyramidLevel {
    return this.levels[this.levels.length - 1];
  }

  /** The written level nearest to `wanted` that is at least as coarse (or the coarsest). */
  levelAtLeast(wanted: number): IPyramidLevel {
    return this.levels.find(level => level.index >= wanted) ?? this.coarsest;
  }

  get display(): Readonly<IDisplaySettings> {
    return this.settings;
  }

  get normalization(): INormalization {
    return this.norm;
  }

  /** 256 x RGBA colormap table of the current colormap. */
  get colormap(): Uint8Array {
    return this.lut;
  }

  /** The interval's limits in data units. */
  get limits(): [number, number] {
    return [this.norm.vmin, this.norm.vmax];
  }

  /**
   * Sets the display and recomputes the normalisation. Limits come from the store's
   * statistics of the whole full-resolution image (min/max, ranked values for percentiles, astropy's zscale
   * with its default parameters, ranked values for histeq); anything else from `sample()`
   * (the pixels loaded so far).
   */
  setDisplay(change: Partial<IDisplaySettings>, sample: () => Float32Array): void {
    this.settings = { ...this.settings, ...change };
    const stats = this.store.attrs.statistics;
    const { interval, stretch } = this.settings;
    let limits: [number, number];
    if (stats && interval.kind === 'percentile') {
      limits = percentileInterval(stats, interval.percentile);
    } else if (stats && interval.kind === 'asymmetric') {
      limits = percentileLimits(stats, interval.lower, interval.upper);
    } else if (stats && interval.kind === 'minmax') {
      limits = [stats.min, stats.max];
    } else if (stats?.zscale && interval.kind === 'zscale' && Object.keys(interval).length === 1) {
      limits = stats.zscale;
    } else if (interval.kind === 'manual' && interval.vmin !== undefined && interval.vmax !== undefined) {
      limits = [interval.vmin, interval.vmax];
    } else {
      limits = intervalLimits(interval, sample());
    }
    const [vmin, vmax] = limits[0] <= limits[1] ? limits : [limits[1], limits[0]];
    const histeqSample = stretch.name === 'histeq' ? (stats?.quantiles ?? sample()) : undefined;
    this.norm = makeNormalization(vmin, vmax, makeStretch(stretch, histeqSample));
    if (this.settings.colormap !== this.lutName) {
      this.lut = colormapLUT(this.settings.colormap);
      this.lutName = this.settings.colormap;
    }
  }

  /** Whether the normalisation depends on which pixels are loaded (then it is refined as they arrive). */
  get needsSample(): boolean {
    const { interval, stretch } = this.settings;
    const stats = this.store.attrs.statistics;
    if (!stats) {
      return true;
    }
    return (
      (stretch.name === 'histeq' && !stats.quantiles) ||
      (interval.kind === 'zscale' && (!stats.zscale || Object.keys(interval).length > 1)) ||
      (interval.kind === 'manual' && (interval.vmin === undefined || interval.vmax === undefined))
    );
  }

  private settings: IDisplaySettings = { ...DEFAULT_DISPLAY };
  private norm: INormalization = makeNormalization(0, 1, { name: 'linear' });
  private lut = colormapLUT('grey');
  private lutName = 'grey';
}
