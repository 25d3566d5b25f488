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

/**
 * (vmin, vmax) of astropy's PercentileInterval(p) from the percentiles the store computed
 * (0.5, 1, 5, 50, 95, 99, 99.5, 99.9, with min and max): exact where the store has the
 * percentile, linearly interpolated between its neighbours elsewhere.
 */
export function percentileInterval(
  stats: { min: number; max: number; percentiles: Record<string, number> },
  percentile: number
): [number, number] {
  const known: Array<[number, number]> = [[0, stats.min], [100, stats.max]];
  for (const [q, value] of Object.entries(stats.percentiles)) {
    known.push([Number(q), value]);
  }
  known.sort((a, b) => a[0] - b[0]);
  const at = (q: number): number => {
    for (let i = 1; i < known.length; i++) {
      const [q0, v0] = known[i - 1];
      const [q1, v1] = known[i];
      if (q <= q1) {
        return q1 === q0 ? v1 : v0 + ((v1 - v0) * (q - q0)) / (q1 - q0);
      }
    }
    return stats.max;
  };
  const lower = (100 - percentile) / 2;
  return [at(lower), at(100 - lower)];
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
   * statistics of the whole full-resolution image (min/max, percentiles, astropy's zscale
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
