/**
 * One image on a canvas: pan and zoom, the pyramid level for the zoom, visible chunks
 * fetched centre-out into a bounded cache, and a status readout under the cursor.
 * Free of JupyterLab so the notebook widget mounts the same view.
 */
import { colormapLUT } from './math/colormap';
import { LRU } from './math/lru';
import { chooseLevel, chunkOfPixel, chunkRect, chunksInRect, IPyramid, viewRect } from './math/tiles';
import * as geometry from './math/view';
import { Interval, intervalLimits, IStretchSpec, makeNormalization, makeStretch, INormalization } from './math/stretch';
import { ITileDraw, IViewTransform, TileRenderer } from './renderer';
import { IChunk, IPyramidLevel, RomanStore } from './store';

export interface IStatus {
  /** 0-based level-0 image pixel under the cursor (rounded), or null outside the image. */
  x: number | null;
  y: number | null;
  /** `data` at that pixel (null while its full-resolution chunk is not loaded). */
  value: number | null;
  /** `dq` flags at that pixel (null unless the DQ overlay has loaded its chunk). */
  flags: number | null;
}

export interface IImageViewOptions {
  /** Bytes of chunk data kept (CPU copies; the GPU holds the same). */
  cacheBytes?: number;
  /** Parallel chunk requests. */
  concurrency?: number;
  onStatus?: (status: IStatus) => void;
  /** After every drawn frame (overlays follow the view). */
  onDraw?: () => void;
  /** The normalisation changed (settings, or refined as pixels arrive): colorbars follow. */
  onDisplayChanged?: () => void;
  onError?: (message: string) => void;
}

/** What the display shows: astropy's stretch and interval, a matplotlib colormap name. */
export interface IDisplaySettings {
  stretch: IStretchSpec;
  interval: Interval;
  colormap: string;
}

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

const MAX_ZOOM = 64;
/** A chunk request that fails is retried with exponential backoff, then reported once. */
const MAX_TRIES = 3;

/** A chunk grid over level-`index` pixels (a pyramid level, or the dq array). */
type IGrid = Pick<IPyramidLevel, 'index' | 'shape' | 'chunks'>;

interface ICacheEntry {
  data: Float32Array | Uint32Array;
  width: number;
}

export class ImageView {
  readonly canvas: HTMLCanvasElement;

  constructor(
    readonly host: HTMLElement,
    private readonly options: IImageViewOptions = {}
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'jp-RomanImageView-canvas';
    this.canvas.tabIndex = 0;
    host.appendChild(this.canvas);
    this.renderer = new TileRenderer(this.canvas);
    this.cache = new LRU(options.cacheBytes ?? 512 * 2 ** 20, key => this.renderer.release(key));
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(host);
    this.bindEvents();
  }

  /** Shows a store; the view fits the image. */
  async show(store: RomanStore): Promise<void> {
    this.store = store;
    this.levels = await store.pyramid();
    this.dqArray = await store.dq();
    this.updateNormalization();
    this.resize();
    this.fit();
  }

  /** Picks up pyramid levels that appeared since (a display-ready store completing). */
  async refreshLevels(): Promise<boolean> {
    if (!this.store) {
      return false;
    }
    this.store = await this.store.refresh();
    this.levels = await this.store.pyramid();
    this.dqArray = await this.store.dq();
    this.requestDraw();
    return this.store.attrs.complete;
  }

  /** Rows, columns of the full-resolution image. */
  get imageShape(): [number, number] | null {
    const shape = this.store?.attrs.shape;
    return shape ? [shape[shape.length - 2], shape[shape.length - 1]] : null;
  }

  /** Zoom in device pixels per image pixel, and the view centre in image pixels. */
  get view(): { centerX: number; centerY: number; zoom: number } {
    return { centerX: this.centerX, centerY: this.centerY, zoom: this.zoom };
  }

  setView(centerX: number, centerY: number, zoom: number): void {
    this.centerX = centerX;
    this.centerY = centerY;
    this.zoom = Math.min(MAX_ZOOM * devicePixelRatio, Math.max(this.minZoom(), zoom));
    this.requestDraw();
  }

  /** The whole image in the canvas. */
  fit(): void {
    const shape = this.imageShape;
    if (!shape) {
      return;
    }
    const fitted = geometry.fitView(this.geometry, shape);
    this.setView(fitted.cx, fitted.cy, fitted.zoom * fitted.dpr);
  }

  /** The view in the shared geometry's terms (CSS pixels; math/view.ts). */
  private get geometry(): geometry.IView {
    const dpr = devicePixelRatio;
    return {
      width: this.canvas.width / dpr,
      height: this.canvas.height / dpr,
      dpr,
      cx: this.centerX,
      cy: this.centerY,
      zoom: this.zoom / dpr
    };
  }

  /** Changes stretch, interval or colormap: uniforms only, nothing is fetched again. */
  setDisplay(change: Partial<IDisplaySettings>): void {
    Object.assign(this.settings, change);
    this.updateNormalization();
  }

  get displaySettings(): Readonly<IDisplaySettings> {
    return this.settings;
  }

  /** The current normalisation (interval limits and stretch), for the colorbar. */
  get normalization(): INormalization {
    return this.norm;
  }

  /** The interval's limits in data units (for the colorbar and Python). */
  get limits(): [number, number] {
    return [this.norm.vmin, this.norm.vmax];
  }

  /**
   * Limits from the store's statistics of the whole full-resolution image (min/max,
   * percentiles, astropy's zscale with its default parameters, ranked values for histeq);
   * anything else from a data sample: the full-resolution chunks loaded so far (what is on
   * screen), else the coarsest pyramid level.
   */
  private updateNormalization(): void {
    const stats = this.store?.attrs.statistics;
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
      limits = intervalLimits(interval, this.sample());
    }
    const [vmin, vmax] = limits[0] <= limits[1] ? limits : [limits[1], limits[0]];
    const histeqSample = stretch.name === 'histeq' ? (stats?.quantiles ?? this.sample()) : undefined;
    this.norm = makeNormalization(vmin, vmax, makeStretch(stretch, histeqSample));
    this.colormap = colormapLUT(this.settings.colormap);
    this.sampledFullResolution = this.hasFullResolutionSample();
    this.requestDraw();
    this.options.onDisplayChanged?.();
  }

  private hasFullResolutionSample(): boolean {
    return this.cache.keys().some(key => key.startsWith('0/'));
  }

  private sample(): Float32Array {
    const parts: Float32Array[] = [];
    for (const key of this.cache.keys()) {
      const entry = this.cache.peek(key)!;
      if (key.startsWith('0/') && entry.data instanceof Float32Array && parts.length < 16) {
        parts.push(entry.data);
      }
    }
    if (parts.length === 0) {
      const coarsest = this.levels[this.levels.length - 1];
      const entry = coarsest && this.cache.peek(`${coarsest.index}/0/0`);
      if (entry && entry.data instanceof Float32Array) {
        parts.push(entry.data);
      }
    }
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  /** Image pixel (x right, y up, 0-based centres) under a point in CSS pixels of the canvas. */
  screenToImage(cssX: number, cssY: number): [number, number] {
    return geometry.screenToImage(this.geometry, cssX, cssY);
  }

  /** CSS pixel of the canvas where an image pixel centre is drawn. */
  imageToScreen(x: number, y: number): [number, number] {
    return geometry.imageToScreen(this.geometry, x, y);
  }

  dispose(): void {
    this.disposed = true;
    this.abort.abort();
    this.resizeObserver.disconnect();
    this.renderer.dispose();
    this.canvas.remove();
  }

  // --- drawing ------------------------------------------------------------------------

  requestDraw(): void {
    if (this.frame === 0 && !this.disposed) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.draw();
      });
    }
  }

  private draw(): void {
    if (!this.store || this.levels.length === 0) {
      return;
    }
    const level = this.levelForZoom();
    const coarsest = this.levels[this.levels.length - 1];
    const wanted = [...this.visibleTiles(coarsest), ...(level === coarsest ? [] : this.visibleTiles(level))];
    const tiles: ITileDraw[] = [];
    for (const item of wanted) {
      if (this.cache.get(item.key)) {
        tiles.push(item.tile); // get() marked it most recently used
      } else {
        this.fetchChunk(item.key, item.level, item.row, item.col);
      }
    }
    const view: IViewTransform = {
      centerX: this.centerX,
      centerY: this.centerY,
      zoom: this.zoom,
      width: this.canvas.width,
      height: this.canvas.height
    };
    this.renderer.draw(tiles, view, { norm: this.norm, colormap: this.colormap });
    if (this.dqBits && this.dqArray && level.index === 0) {
      const masks: ITileDraw[] = [];
      // the dq array has its own chunk grid (it need not match data/0's)
      for (const item of this.visibleTiles(this.dqGrid!, 'dq')) {
        if (this.cache.get(item.key)) {
          masks.push(item.tile);
        } else {
          this.fetchChunk(item.key, 'dq', item.row, item.col);
        }
      }
      this.renderer.drawMasks(masks, view, this.dqBits);
    }
    // the view state on the element: for tests, and for anything that must map pixels to screen
    Object.assign(this.canvas.dataset, {
      centerX: String(this.centerX),
      centerY: String(this.centerY),
      zoom: String(this.zoom),
      tiles: String(tiles.length),
      frames: String(++this.frames)
    });
    this.options.onDraw?.();
  }

  /** The level math/tiles chooses for the zoom, or the next coarser one already written. */
  private levelForZoom(): IPyramidLevel {
    const wanted = chooseLevel(this.pyramid(), this.geometry);
    return this.levels.find(level => level.index >= wanted) ?? this.levels[this.levels.length - 1];
  }

  /** All levels (written or not) as math/tiles sees them: shapes from the store, chunks of the written ones. */
  private pyramid(): IPyramid {
    const shapes = this.store?.attrs.pyramid_shapes ?? this.levels.map(level => level.shape);
    const chunkOf = (index: number): readonly [number, number] =>
      this.levels.find(level => level.index === index)?.chunks ?? this.levels[this.levels.length - 1].chunks;
    return { levels: shapes.map((shape, index) => ({ shape: [shape[0], shape[1]] as const, chunk: chunkOf(index) })) };
  }

  /** The chunks of one grid on screen, centre first, with where to draw each. */
  private visibleTiles<L extends IGrid>(grid: L, prefix = String(grid.index)) {
    // math/tiles indexes levels by number; only entry `grid.index` is read
    const pyramid: IPyramid = { levels: Array(grid.index + 1).fill({ shape: grid.shape, chunk: grid.chunks }) };
    return chunksInRect(pyramid, grid.index, viewRect(this.geometry)).map(({ row, col }) => {
      const rect = chunkRect(pyramid, { level: grid.index, row, col });
      const scale = 2 ** grid.index;
      const tile: ITileDraw = {
        key: `${prefix}/${row}/${col}`,
        ...rect,
        u1: (rect.x1 - rect.x0) / scale / grid.chunks[1],
        v1: (rect.y1 - rect.y0) / scale / grid.chunks[0]
      };
      return { key: tile.key, level: grid, row, col, tile };
    });
  }

  private fetchChunk(key: string, level: IPyramidLevel | 'dq', row: number, col: number): void {
    const failure = this.failed.get(key);
    if (this.inflight.has(key) || (failure && (failure.tries >= MAX_TRIES || performance.now() < failure.retryAt))) {
      return;
    }
    if (this.inflight.size >= (this.options.concurrency ?? 6)) {
      return; // asked again on the next frame, which every finished request schedules
    }
    this.inflight.add(key);
    const request: Promise<IChunk | { data: Uint32Array; width: number; height: number }> =
      level === 'dq' ? RomanStore.maskChunk(this.dqArray!, row, col, this.abort.signal) : RomanStore.chunk(level, row, col, this.abort.signal);
    request
      .then(chunk => {
        if (this.disposed) {
          return;
        }
        this.failed.delete(key);
        if (chunk.data instanceof Uint32Array) {
          this.renderer.uploadMask(key, chunk.data, chunk.width, chunk.height);
        } else {
          this.renderer.upload(key, chunk.data, chunk.width, chunk.height);
        }
        this.cache.set(key, { data: chunk.data, width: chunk.width }, chunk.data.byteLength);
        if (this.needsSample() && (!this.sampledFullResolution || this.norm.vmax === this.norm.vmin)) {
          this.updateNormalization(); // zscale/histeq: refine once real pixels are in
        }
      })
      .catch(error => {
        if (this.disposed) {
          return;
        }
        const tries = (this.failed.get(key)?.tries ?? 0) + 1;
        const retryAt = performance.now() + 500 * 2 ** tries;
        this.failed.set(key, { tries, retryAt });
        if (tries < MAX_TRIES) {
          setTimeout(() => this.requestDraw(), retryAt - performance.now());
        } else {
          this.options.onError?.(`Part ${key} of the image could not be loaded after ${tries} tries: ${error?.message ?? error}`);
        }
      })
      .finally(() => {
        this.inflight.delete(key);
        this.requestDraw();
      });
  }

  /** `data` at a level-0 pixel if its chunk is resident. */
  valueAt(x: number, y: number): number | null {
    const level = this.levels[0];
    return level?.index === 0 ? this.residentValue(level, '0', x, y) : null;
  }

  /** A level-0 pixel of a grid whose chunk is in the cache (key `${prefix}/row/col`). */
  private residentValue(grid: IGrid, prefix: string, x: number, y: number): number | null {
    const at = chunkOfPixel({ levels: [{ shape: grid.shape, chunk: grid.chunks }] }, x, y);
    const entry = at && this.cache.peek(`${prefix}/${at.key.row}/${at.key.col}`);
    return entry ? entry.data[at.index] : null;
  }

  /** Whether the normalisation depends on which pixels are loaded (then it is refined as they arrive). */
  private needsSample(): boolean {
    const { interval, stretch } = this.settings;
    const stats = this.store?.attrs.statistics;
    if (!stats) {
      return true;
    }
    return (
      (stretch.name === 'histeq' && !stats.quantiles) ||
      (interval.kind === 'zscale' && (!stats.zscale || Object.keys(interval).length > 1)) ||
      (interval.kind === 'manual' && (interval.vmin === undefined || interval.vmax === undefined))
    );
  }

  /** `dq` flags at a level-0 pixel if the overlay has loaded its chunk. */
  flagsAt(x: number, y: number): number | null {
    return this.dqGrid ? this.residentValue(this.dqGrid, 'dq', x, y) : null;
  }

  /** The dq array's own chunk grid (it need not match data/0's). */
  private get dqGrid(): IGrid | null {
    const dq = this.dqArray;
    return dq ? { index: 0, shape: [dq.shape[0], dq.shape[1]], chunks: [dq.chunks[0], dq.chunks[1]] } : null;
  }

  /** Shows the DQ flags in `bits` over the image (0 hides the overlay); drawn once the
   * full-resolution level is on screen, since flags belong to single pixels. */
  setDqOverlay(bits: number): void {
    this.dqBits = bits >>> 0;
    this.requestDraw();
  }

  /** Whether the store has a `dq` array to overlay. */
  get hasDq(): boolean {
    return this.dqArray !== null;
  }

  // --- geometry and events ------------------------------------------------------------

  private minZoom(): number {
    const shape = this.imageShape;
    if (!shape) {
      return 1e-3;
    }
    return Math.min(this.canvas.width / shape[1], this.canvas.height / shape[0]) / 4;
  }

  private resize(): void {
    const dpr = devicePixelRatio;
    const rect = this.host.getBoundingClientRect();
    const width = Math.max(1, Math.round(rect.width * dpr));
    const height = Math.max(1, Math.round(rect.height * dpr));
    if (width !== this.canvas.width || height !== this.canvas.height) {
      this.canvas.width = width;
      this.canvas.height = height;
      this.canvas.style.width = `${rect.width}px`;
      this.canvas.style.height = `${rect.height}px`;
      this.requestDraw();
    }
  }

  /** Zooms by `factor` keeping the image point under (cssX, cssY) fixed. */
  zoomAt(factor: number, cssX: number, cssY: number): void {
    const here = this.geometry;
    const clamped = Math.min(MAX_ZOOM * here.dpr, Math.max(this.minZoom(), this.zoom * factor)) / this.zoom;
    const next = geometry.zoomAt(here, clamped, cssX, cssY);
    this.setView(next.cx, next.cy, next.zoom * next.dpr);
  }

  private bindEvents(): void {
    const canvas = this.canvas;
    canvas.addEventListener('wheel', event => {
      event.preventDefault();
      const rect = canvas.getBoundingClientRect();
      this.zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX - rect.left, event.clientY - rect.top);
    });
    canvas.addEventListener('pointerdown', event => {
      if (event.button !== 0) {
        return;
      }
      canvas.focus();
      canvas.setPointerCapture(event.pointerId);
      this.drag = { x: event.clientX, y: event.clientY, centerX: this.centerX, centerY: this.centerY };
    });
    canvas.addEventListener('pointermove', event => {
      const rect = canvas.getBoundingClientRect();
      if (this.drag) {
        const dpr = devicePixelRatio;
        this.setView(
          this.drag.centerX - ((event.clientX - this.drag.x) * dpr) / this.zoom,
          this.drag.centerY + ((event.clientY - this.drag.y) * dpr) / this.zoom,
          this.zoom
        );
      }
      this.reportStatus(event.clientX - rect.left, event.clientY - rect.top);
    });
    const endDrag = () => {
      this.drag = null;
    };
    canvas.addEventListener('pointerup', endDrag);
    canvas.addEventListener('pointercancel', endDrag);
    canvas.addEventListener('keydown', event => {
      const step = 50 / this.zoom;
      const center = [this.canvas.width / 2 / devicePixelRatio, this.canvas.height / 2 / devicePixelRatio] as const;
      const actions: Record<string, () => void> = {
        ArrowLeft: () => this.setView(this.centerX - step, this.centerY, this.zoom),
        ArrowRight: () => this.setView(this.centerX + step, this.centerY, this.zoom),
        ArrowUp: () => this.setView(this.centerX, this.centerY + step, this.zoom),
        ArrowDown: () => this.setView(this.centerX, this.centerY - step, this.zoom),
        '+': () => this.zoomAt(2, ...center),
        '=': () => this.zoomAt(2, ...center),
        '-': () => this.zoomAt(0.5, ...center),
        f: () => this.fit(),
        '1': () => this.setView(this.centerX, this.centerY, devicePixelRatio)
      };
      const action = actions[event.key];
      if (action) {
        event.preventDefault();
        action();
      }
    });
  }

  private reportStatus(cssX: number, cssY: number): void {
    const shape = this.imageShape;
    const [fx, fy] = this.screenToImage(cssX, cssY);
    const x = Math.round(fx);
    const y = Math.round(fy);
    const inside = !!shape && x >= 0 && y >= 0 && x < shape[1] && y < shape[0];
    this.options.onStatus?.({
      x: inside ? x : null,
      y: inside ? y : null,
      value: inside ? this.valueAt(x, y) : null,
      flags: inside ? this.flagsAt(x, y) : null
    });
  }

  private readonly renderer: TileRenderer;
  private readonly resizeObserver: ResizeObserver;
  private readonly abort = new AbortController();
  /** CPU copies of the resident chunks, least recently drawn evicted first, with their GPU textures. */
  private readonly cache: LRU<string, ICacheEntry>;
  private readonly inflight = new Set<string>();
  private readonly failed = new Map<string, { tries: number; retryAt: number }>();
  private store: RomanStore | null = null;
  private levels: IPyramidLevel[] = [];
  private dqArray: Awaited<ReturnType<RomanStore['dq']>> = null;
  private dqBits = 0;
  private frames = 0;
  private frame = 0;
  private disposed = false;
  private drag: { x: number; y: number; centerX: number; centerY: number } | null = null;
  private centerX = 0;
  private centerY = 0;
  private zoom = 1;
  private readonly settings: IDisplaySettings = {
    stretch: { name: 'linear' },
    interval: { kind: 'percentile', percentile: 99.5 },
    colormap: 'grey'
  };
  private norm: INormalization = makeNormalization(0, 1, { name: 'linear' });
  private colormap = colormapLUT('grey');
  private sampledFullResolution = false;
}
