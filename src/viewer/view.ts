/**
 * A blink stack on a canvas: pan and zoom in the pixel frame of a reference image, the
 * current image drawn aligned on the sky (each chunk through a mesh mapped by TAN-SIP,
 * math/align.ts), the pyramid level for the zoom, visible chunks fetched centre-out into a
 * bounded cache shared by all images, the chunks of the next images fetched ahead, and a
 * status readout under the cursor. Free of JupyterLab so the notebook widget mounts the
 * same view.
 */
import { chooseStep, tileMesh } from './math/align';
import { lutIndex } from './math/colormap';
import { LRU } from './math/lru';
import { Interval, normalizeValue } from './math/stretch';
import { chooseLevel, chunkOfPixel, chunkRect, chunksInRect, IPyramid, IRect, mappedRect, viewRect } from './math/tiles';
import * as geometry from './math/view';
import { mapPixel, TanSipWcs } from './math/wcs';
import { IMeshDraw, IViewTransform, TileRenderer } from './renderer';
import { Stack } from './stack';
import { DEFAULT_DISPLAY, IDisplaySettings, IImageInfo, StackImage } from './stackImage';
import { IChunk, IPyramidLevel, RomanStore } from './store';

export type { IDisplaySettings, IImageInfo } from './stackImage';

export interface IStatus {
  /** 0-based level-0 pixel of the current image under the cursor (rounded), or null outside it. */
  x: number | null;
  y: number | null;
  /** `data` at that pixel (null while its full-resolution chunk is not loaded). */
  value: number | null;
  /** `dq` flags at that pixel (null unless the DQ overlay has loaded its chunk). */
  flags: number | null;
}

export interface IImageViewOptions {
  /** Bytes of chunk data kept for all images together (CPU copies; the GPU holds the same). */
  cacheBytes?: number;
  /** Parallel chunk requests. */
  concurrency?: number;
  onStatus?: (status: IStatus) => void;
  /** After every drawn frame (overlays follow the view). */
  onDraw?: () => void;
  /** The current image's normalisation changed (settings, or refined as pixels arrive): colorbars follow. */
  onDisplayChanged?: () => void;
  /** Images added, removed, reordered or marked, the current image or the reference changed. */
  onStackChanged?: () => void;
  onError?: (message: string) => void;
}

/**
 * How the limits of the images relate: each image's own from the interval (its own
 * percentiles or zscale), or the same (vmin, vmax) for all.
 */
export type LimitsMode = 'per-image' | 'fixed';

const MAX_ZOOM = 64;
/** A chunk request that fails is retried with exponential backoff, then reported once. */
const MAX_TRIES = 3;
/** Alignment tolerance of the meshes, in full-resolution pixels (x 2^level for coarser levels). */
const MESH_TOLERANCE_PX = 0.01;
/** The share of the chunk cache that fetching ahead may fill (the rest is for panning). */
const PREFETCH_SHARE = 0.75;
/** Main-thread time a prefetch pass may spend making alignment meshes (the rest waits for the next pass). */
const MESH_BUDGET_MS = 6;
/** Recent frame-switch draw times kept for `frameTimes` (benchmarks). */
const FRAME_TIMES_KEPT = 512;

/** A chunk grid over level-`index` pixels (a pyramid level, or the dq array). */
type IGrid = Pick<IPyramidLevel, 'index' | 'shape' | 'chunks'>;

interface ICacheEntry {
  data: Float32Array | Uint32Array;
  width: number;
}

/** One chunk an image needs for the view: where to fetch it and how to draw it. */
interface IWantedTile {
  image: StackImage;
  /** Texture key `${image}:${grid}/${row}/${col}`. */
  key: string;
  grid: IPyramidLevel | 'dq';
  row: number;
  col: number;
  /** Level-0 pixel edges of the chunk in its image. */
  rect: IRect;
  uvMax: [number, number];
  bytes: number;
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
    this.cacheBytes = options.cacheBytes ?? 512 * 2 ** 20;
    this.cache = new LRU(this.cacheBytes, key => this.evicted(key));
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(host);
    this.bindEvents();
  }

  // --- the stack ----------------------------------------------------------------------

  /**
   * Adds a store to the stack. The first image becomes current and the reference, and the
   * view fits it; the others take the display of the current image when the display is
   * shared, else the default display.
   */
  async add(store: RomanStore, info: Partial<IImageInfo> = {}): Promise<StackImage> {
    const id = info.id ?? `image-${++this.lastId}`;
    const image = await StackImage.open(store, {
      id,
      path: info.path ?? store.url,
      name: info.name ?? info.path ?? store.url,
      kind: info.kind ?? 'exposure',
      time: info.time ?? stringOrNull(store.attrs.summary?.start_time),
      detector: info.detector ?? stringOrNull(store.attrs.summary?.detector),
      mark: info.mark ?? null,
      wcsFrom: info.wcsFrom ?? null
    });
    if (this.disposed) {
      return image;
    }
    const first = this.stack.length === 0;
    const template = this.syncDisplay && this.stack.current ? this.stack.current.display : DEFAULT_DISPLAY;
    this.stack.add(image);
    this.prefetchKey = '';
    image.setDisplay({ ...template }, () => this.sample(image));
    if (first) {
      this.resize();
      this.fit();
      this.options.onDisplayChanged?.();
    }
    this.stackChanged();
    return image;
  }

  get images(): readonly StackImage[] {
    return this.stack.items;
  }

  get current(): StackImage | null {
    return this.stack.current;
  }

  get currentIndex(): number {
    return this.stack.currentIndex;
  }

  get reference(): StackImage | null {
    return this.stack.reference;
  }

  /** Makes the image at `index` (wrapping) or with id `index` current. */
  setCurrent(index: number | string): void {
    const at = typeof index === 'string' ? this.stack.indexOf(index) : index;
    if (at >= 0 || typeof index === 'number') {
      if (this.stack.setCurrent(at)) {
        this.switchedAt = performance.now();
        this.stackChanged();
        this.options.onDisplayChanged?.();
      }
    }
  }

  next(): void {
    this.setCurrent(this.stack.currentIndex + 1);
  }

  previous(): void {
    this.setCurrent(this.stack.currentIndex - 1);
  }

  /** Cycles through the stack every `intervalMs` until `stopBlink`. */
  blink(intervalMs: number): void {
    this.stopBlink();
    this.blinkMs = Math.max(50, intervalMs);
    this.blinkTimer = window.setInterval(() => this.next(), this.blinkMs);
    this.stackChanged();
  }

  stopBlink(): void {
    if (this.blinkTimer !== null) {
      window.clearInterval(this.blinkTimer);
      this.blinkTimer = null;
      this.stackChanged();
    }
  }

  get blinking(): boolean {
    return this.blinkTimer !== null;
  }

  remove(id: string): void {
    const wasReference = this.stack.reference?.id === id;
    const anchor = wasReference ? this.skyAnchor() : null;
    if (!this.stack.remove(id)) {
      return;
    }
    for (const key of this.cache.keys()) {
      if (key.startsWith(`${id}:`)) {
        this.cache.delete(key);
      }
    }
    this.renderer.releaseMeshes(`${id}>`);
    this.prefetchKey = '';
    if (wasReference) {
      this.referenceChanged(anchor);
    }
    this.stackChanged();
  }

  move(id: string, index: number): void {
    this.stack.move(id, index);
    this.stackChanged();
  }

  /** Marks an image (null clears the mark). */
  mark(id: string, mark: IImageInfo['mark']): void {
    const image = this.stack.get(id);
    if (image) {
      image.info.mark = mark;
      this.stackChanged();
    }
  }

  /** Draws an image (without a WCS of its own) with the WCS of another one. */
  borrowWcs(id: string, from: string | null): void {
    const image = this.stack.get(id);
    if (image && from !== id) {
      image.info.wcsFrom = from;
      this.renderer.releaseMeshes(`${id}>`);
      this.steps.clear();
      this.prefetchKey = '';
      this.stackChanged();
    }
  }

  /**
   * Draws every image in the pixel frame of image `id`. The view keeps its centre on the
   * sky and its scale on the screen.
   */
  setReference(id: string): void {
    const anchor = this.skyAnchor();
    if (this.stack.setReference(id)) {
      this.referenceChanged(anchor);
      this.stackChanged();
    }
  }

  /** The WCS an image is drawn with: its own, else the one it borrows, else none. */
  wcsOf(image: StackImage): TanSipWcs | null {
    if (image.ownWcs) {
      return image.ownWcs;
    }
    const lender = image.info.wcsFrom ? this.stack.get(image.info.wcsFrom) : null;
    return lender?.ownWcs ?? null;
  }

  /**
   * How an image lines up with the reference: 'reference' (it is), 'wcs' (through both
   * WCSs), or 'pixel' (one of them has none: drawn pixel on pixel, as ds9's lock frame image).
   */
  alignmentOf(image: StackImage): 'reference' | 'wcs' | 'pixel' {
    const reference = this.stack.reference;
    if (image === reference) {
      return 'reference';
    }
    return this.wcsOf(image) && reference && this.wcsOf(reference) ? 'wcs' : 'pixel';
  }

  /** Reference pixel of an image pixel (identity when aligned by pixel). */
  toReference(image: StackImage, x: number, y: number): [number, number] {
    const reference = this.stack.reference;
    if (!reference || this.alignmentOf(image) !== 'wcs') {
      return [x, y];
    }
    return mapPixel(this.wcsOf(image)!, this.wcsOf(reference)!, x, y);
  }

  /** Image pixel of a reference pixel (identity when aligned by pixel). */
  fromReference(image: StackImage, x: number, y: number): [number, number] {
    const reference = this.stack.reference;
    if (!reference || this.alignmentOf(image) !== 'wcs') {
      return [x, y];
    }
    return mapPixel(this.wcsOf(reference)!, this.wcsOf(image)!, x, y);
  }

  /** How many images have every chunk of the current view resident (blinkable without a gap). */
  get readyCount(): number {
    return this.ready;
  }

  /**
   * How many images' chunks for the current view fit in the share of the chunk cache that
   * prefetch may fill; fewer than the stack: a blink shows gaps (raise the cache setting).
   */
  get fittingCount(): number {
    return this.fitting;
  }

  /** Recent CPU times (ms) of the first frame drawn after the current image changed. */
  get frameTimes(): readonly number[] {
    return this.switchTimes;
  }

  /** Picks up pyramid levels that appeared since (display-ready stores completing). */
  async refreshLevels(): Promise<boolean> {
    let complete = true;
    for (const image of this.stack.items) {
      if (!image.store.attrs.complete) {
        complete = (await image.refresh()) && complete;
      }
    }
    this.prefetchKey = '';
    this.requestDraw();
    return complete;
  }

  // --- view geometry ------------------------------------------------------------------

  /** Rows, columns of the reference image. */
  get imageShape(): [number, number] | null {
    return this.stack.reference?.shape ?? null;
  }

  /** Zoom in device pixels per reference pixel, and the view centre in reference pixels. */
  get view(): { centerX: number; centerY: number; zoom: number } {
    return { centerX: this.centerX, centerY: this.centerY, zoom: this.zoom };
  }

  setView(centerX: number, centerY: number, zoom: number): void {
    this.centerX = centerX;
    this.centerY = centerY;
    this.zoom = Math.min(MAX_ZOOM * devicePixelRatio, Math.max(this.minZoom(), zoom));
    this.requestDraw();
  }

  /** The whole reference image in the canvas. */
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

  /** Reference pixel (x right, y up, 0-based centres) under a point in CSS pixels of the canvas. */
  screenToImage(cssX: number, cssY: number): [number, number] {
    return geometry.screenToImage(this.geometry, cssX, cssY);
  }

  /** CSS pixel of the canvas where a reference pixel centre is drawn. */
  imageToScreen(x: number, y: number): [number, number] {
    return geometry.imageToScreen(this.geometry, x, y);
  }

  /**
   * The sky position at the view centre and the reference's arcsec per pixel there (null
   * without a reference WCS): what a change of reference keeps.
   */
  private skyAnchor(): { center: [number, number]; scale: number } | null {
    const reference = this.stack.reference;
    const wcs = reference && this.wcsOf(reference);
    return wcs
      ? { center: wcs.pixelToWorld(this.centerX, this.centerY), scale: wcs.pixelScaleAt(this.centerX, this.centerY) }
      : null;
  }

  /** After the reference changed: same sky centre and screen scale, meshes remade. */
  private referenceChanged(anchor: { center: [number, number]; scale: number } | null): void {
    this.renderer.releaseMeshes('');
    this.steps.clear();
    this.prefetchKey = '';
    const reference = this.stack.reference;
    const wcs = reference && this.wcsOf(reference);
    if (!reference || !wcs || !anchor) {
      this.fit();
      return;
    }
    const [x, y] = wcs.worldToPixel(anchor.center[0], anchor.center[1]);
    this.setView(x, y, (this.zoom * wcs.pixelScaleAt(x, y)) / anchor.scale);
  }

  // --- display ------------------------------------------------------------------------

  /**
   * Changes stretch, interval or colormap: uniforms only, nothing is fetched again. Applies
   * to every image while the display is shared (`syncDisplay`), else to the current one.
   */
  setDisplay(change: Partial<IDisplaySettings>): void {
    const targets = this.syncDisplay ? this.stack.items : this.stack.current ? [this.stack.current] : [];
    if (this.syncDisplay && this.limitsMode === 'fixed' && change.interval && change.interval.kind !== 'manual') {
      this.limitsMode = 'per-image'; // asking for an interval by name means each image's own
    }
    for (const image of targets) {
      image.setDisplay(change, () => this.sample(image));
    }
    this.afterDisplayChange();
  }

  /** One display for all images (true, the default) or one per image. */
  get syncDisplay(): boolean {
    return this.sync;
  }

  set syncDisplay(sync: boolean) {
    this.sync = sync;
    if (sync) {
      this.applyDisplayToAll();
    } else {
      this.stackChanged();
    }
  }

  /** Gives every image the current image's display (and limits, when they are fixed). */
  applyDisplayToAll(): void {
    const current = this.stack.current;
    if (!current) {
      return;
    }
    for (const image of this.stack.items) {
      if (image !== current) {
        image.setDisplay({ ...current.display }, () => this.sample(image));
      }
    }
    this.afterDisplayChange();
  }

  /**
   * 'fixed': the current image's limits become the same (vmin, vmax) for all; 'per-image':
   * each image computes its limits from the interval it had before they were fixed.
   */
  setLimitsMode(mode: LimitsMode): void {
    const current = this.stack.current;
    if (!current || mode === this.limitsMode) {
      return;
    }
    if (mode === 'fixed') {
      this.intervalBeforeFixed = current.display.interval;
      const [vmin, vmax] = current.limits;
      this.limitsMode = 'fixed';
      for (const image of this.stack.items) {
        image.setDisplay({ interval: { kind: 'manual', vmin, vmax } }, () => this.sample(image));
      }
    } else {
      this.limitsMode = 'per-image';
      const interval = this.intervalBeforeFixed ?? DEFAULT_DISPLAY.interval;
      for (const image of this.stack.items) {
        image.setDisplay({ interval }, () => this.sample(image));
      }
    }
    this.afterDisplayChange();
  }

  get limitsModeValue(): LimitsMode {
    return this.limitsMode;
  }

  get displaySettings(): Readonly<IDisplaySettings> {
    return this.stack.current?.display ?? DEFAULT_DISPLAY;
  }

  /** The current image's normalisation (interval limits and stretch), for the colorbar. */
  get normalization() {
    return this.stack.current?.normalization ?? null;
  }

  /** The current image's limits in data units (for the colorbar and Python). */
  get limits(): [number, number] {
    return this.stack.current?.limits ?? [0, 1];
  }

  private afterDisplayChange(): void {
    this.thumbnailVersion++;
    this.requestDraw();
    this.options.onDisplayChanged?.();
    this.stackChanged();
  }

  /**
   * Pixels of an image for limits that need a sample: its full-resolution chunks loaded so
   * far (what is on screen), else its coarsest level.
   */
  private sample(image: StackImage): Float32Array {
    const parts: Float32Array[] = [];
    const prefix = `${image.id}:0/`;
    for (const key of this.cache.keys()) {
      const entry = this.cache.peek(key)!;
      if (key.startsWith(prefix) && entry.data instanceof Float32Array && parts.length < 16) {
        parts.push(entry.data);
      }
    }
    if (parts.length === 0 && image.levels.length > 0) {
      const entry = this.cache.peek(`${image.id}:${image.coarsest.index}/0/0`);
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

  /**
   * A small picture of an image (its coarsest level with its own display), for the stack
   * list; null until that level is loaded. Row 0 of the image is at the bottom.
   */
  thumbnail(image: StackImage, size = 64): ImageData | null {
    const cached = this.thumbnails.get(image.id);
    if (cached && cached.version === this.thumbnailVersion) {
      return cached.picture;
    }
    const level = image.levels.length > 0 ? image.coarsest : null;
    const entry = level && this.cache.peek(`${image.id}:${level.index}/0/0`);
    if (!level || !entry || !(entry.data instanceof Float32Array)) {
      return null;
    }
    const [rows, cols] = [Math.min(level.shape[0], level.chunks[0]), Math.min(level.shape[1], level.chunks[1])];
    const scale = size / Math.max(rows, cols);
    const width = Math.max(1, Math.round(cols * scale));
    const height = Math.max(1, Math.round(rows * scale));
    const picture = new ImageData(width, height);
    const lut = image.colormap;
    const norm = image.normalization;
    for (let j = 0; j < height; j++) {
      const row = Math.min(rows - 1, Math.floor((height - 1 - j) / scale));
      for (let i = 0; i < width; i++) {
        const value = entry.data[row * entry.width + Math.min(cols - 1, Math.floor(i / scale))];
        const t = Number.isFinite(value) ? normalizeValue(norm, value) : -1;
        const at = 4 * (j * width + i);
        if (t < 0) {
          picture.data[at + 3] = 0;
          continue;
        }
        const k = 4 * lutIndex(t);
        picture.data.set(lut.subarray(k, k + 4), at);
      }
    }
    this.thumbnails.set(image.id, { version: this.thumbnailVersion, picture });
    return picture;
  }

  dispose(): void {
    this.disposed = true;
    this.stopBlink();
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
    const image = this.stack.current;
    if (!image || image.levels.length === 0) {
      return;
    }
    const started = performance.now();
    const wanted = this.wantedTiles(image);
    const tiles: IMeshDraw[] = [];
    const masks: IMeshDraw[] = [];
    for (const tile of wanted) {
      if (this.cache.get(tile.key)) {
        // get() marked it most recently used
        (tile.grid === 'dq' ? masks : tiles).push({ texture: tile.key, mesh: this.meshFor(tile) });
      } else {
        this.fetchChunk(tile);
      }
    }
    const view: IViewTransform = {
      centerX: this.centerX,
      centerY: this.centerY,
      zoom: this.zoom,
      width: this.canvas.width,
      height: this.canvas.height
    };
    this.renderer.draw(tiles, view, { norm: image.normalization, colormap: image.colormap });
    if (masks.length > 0) {
      this.renderer.drawMasks(masks, view, this.dqBits);
    }
    if (this.switchedAt !== null) {
      this.switchTimes.push(performance.now() - started);
      if (this.switchTimes.length > FRAME_TIMES_KEPT) {
        this.switchTimes.shift();
      }
      this.switchedAt = null;
    }
    // the view state on the element: for tests, and for anything that must map pixels to screen
    Object.assign(this.canvas.dataset, {
      centerX: String(this.centerX),
      centerY: String(this.centerY),
      zoom: String(this.zoom),
      tiles: String(tiles.length),
      // chunks of this view not drawn yet (0: the image is complete on screen)
      pending: String(wanted.length - tiles.length - masks.length),
      current: image.id,
      frames: String(++this.frames)
    });
    this.options.onDraw?.();
    this.schedulePrefetch();
  }

  /**
   * The chunks an image needs for the current view, in drawing order: its coarsest level
   * (always, as a backdrop while finer chunks load), the level for the zoom, and the DQ
   * overlay's chunks at full resolution.
   */
  private wantedTiles(image: StackImage): IWantedTile[] {
    if (image.levels.length === 0) {
      return []; // no level written yet (refreshLevels picks them up)
    }
    const aligned = this.alignmentOf(image) === 'wcs';
    const here = this.geometry;
    const rect = aligned
      ? mappedRect(here, (sx, sy) => this.fromReference(image, ...geometry.screenToImage(here, sx, sy)))
      : viewRect(here);
    if (!(rect.x1 >= rect.x0 && rect.y1 >= rect.y0)) {
      return []; // the view is not on this image's sky at all
    }
    let zoom = here.zoom;
    if (aligned) {
      const [x, y] = this.fromReference(image, this.centerX, this.centerY);
      const reference = this.stack.reference!;
      const ratio = this.wcsOf(image)!.pixelScaleAt(x, y) / this.wcsOf(reference)!.pixelScaleAt(this.centerX, this.centerY);
      zoom = Number.isFinite(ratio) && ratio > 0 ? here.zoom * ratio : here.zoom;
    }
    const pyramid = image.pyramid;
    const level = image.levelAtLeast(chooseLevel(pyramid, { ...here, zoom }));
    const coarsest = image.coarsest;
    const tiles = this.gridTiles(image, coarsest, rect);
    if (level !== coarsest) {
      tiles.push(...this.gridTiles(image, level, rect));
    }
    if (this.dqBits && image.dq && level.index === 0) {
      const dq = image.dq;
      tiles.push(...this.gridTiles(image, { index: 0, shape: [dq.shape[0], dq.shape[1]], chunks: [dq.chunks[0], dq.chunks[1]] }, rect, 'dq'));
    }
    return tiles;
  }

  /** The chunks of one grid of an image that meet `rect` (its level-0 pixels), centre first. */
  private gridTiles(image: StackImage, grid: IGrid, rect: IRect, dq?: 'dq'): IWantedTile[] {
    // math/tiles indexes levels by number; only entry `grid.index` is read
    const pyramid: IPyramid = { levels: Array(grid.index + 1).fill({ shape: grid.shape, chunk: grid.chunks }) };
    const name = dq ?? String(grid.index);
    return chunksInRect(pyramid, grid.index, rect).map(({ row, col }) => {
      const tileRect = chunkRect(pyramid, { level: grid.index, row, col });
      const scale = 2 ** grid.index;
      return {
        image,
        key: `${image.id}:${name}/${row}/${col}`,
        grid: dq ?? (grid as IPyramidLevel),
        row,
        col,
        rect: tileRect,
        uvMax: [(tileRect.x1 - tileRect.x0) / scale / grid.chunks[1], (tileRect.y1 - tileRect.y0) / scale / grid.chunks[0]],
        bytes: 4 * grid.chunks[0] * grid.chunks[1]
      };
    });
  }

  /** The key of the GPU mesh placing a tile in the reference frame. */
  private meshKey(tile: IWantedTile): string {
    return `${tile.image.id}>${this.stack.reference!.id}:${tile.key.slice(tile.image.id.length + 1)}`;
  }

  /** The GPU mesh placing a tile in the reference frame (made on first use). */
  private meshFor(tile: IWantedTile): string {
    const reference = this.stack.reference!;
    const key = this.meshKey(tile);
    if (!this.renderer.hasMesh(key)) {
      const aligned = this.alignmentOf(tile.image) === 'wcs';
      const from = aligned ? this.wcsOf(tile.image)! : null;
      const to = aligned ? this.wcsOf(reference)! : null;
      const level = tile.grid === 'dq' ? 0 : tile.grid.index;
      const size = Math.max(tile.rect.x1 - tile.rect.x0, tile.rect.y1 - tile.rect.y0);
      const step = from && to ? this.meshStep(tile.image, level, from, to) : size;
      const mesh = from && to ? tileMesh(tile.rect, from, to, step) : identityMesh(tile.rect);
      this.renderer.uploadMesh(key, mesh, tile.uvMax);
    }
    return key;
  }

  /**
   * The mesh step for an image's level, chosen once: the coarsest that aligns both a
   * corner chunk (where distortion is largest) and the centre chunk within the tolerance
   * (scaled by the level's pixel size: finer is invisible at that zoom).
   */
  private meshStep(image: StackImage, level: number, from: TanSipWcs, to: TanSipWcs): number {
    const key = `${image.id}>${this.stack.reference!.id}:${level}`;
    let step = this.steps.get(key);
    if (step === undefined) {
      const shape = image.pyramid.levels[level];
      const pyramid: IPyramid = { levels: Array(level + 1).fill(shape) };
      const [rows, cols] = [Math.ceil(shape.shape[0] / shape.chunk[0]), Math.ceil(shape.shape[1] / shape.chunk[1])];
      const tolerance = MESH_TOLERANCE_PX * 2 ** level;
      const corner = chunkRect(pyramid, { level, row: 0, col: 0 });
      const centre = chunkRect(pyramid, { level, row: Math.floor(rows / 2), col: Math.floor(cols / 2) });
      step = Math.min(chooseStep(corner, from, to, tolerance), chooseStep(centre, from, to, tolerance));
      this.steps.set(key, step);
    }
    return step;
  }

  private fetchChunk(tile: IWantedTile): boolean {
    const { key } = tile;
    const failure = this.failed.get(key);
    if (this.inflight.has(key) || (failure && (failure.tries >= MAX_TRIES || performance.now() < failure.retryAt))) {
      return false;
    }
    if (this.inflight.size >= (this.options.concurrency ?? 6)) {
      return false; // asked again on the next frame, which every finished request schedules
    }
    this.inflight.add(key);
    const image = tile.image;
    const request: Promise<IChunk | { data: Uint32Array; width: number; height: number }> =
      tile.grid === 'dq'
        ? RomanStore.maskChunk(image.dq!, tile.row, tile.col, this.abort.signal)
        : RomanStore.chunk(tile.grid, tile.row, tile.col, this.abort.signal);
    request
      .then(chunk => {
        if (this.disposed || !this.stack.get(image.id)) {
          return;
        }
        this.failed.delete(key);
        if (chunk.data instanceof Uint32Array) {
          this.renderer.uploadMask(key, chunk.data, chunk.width, chunk.height);
        } else {
          this.renderer.upload(key, chunk.data, chunk.width, chunk.height);
        }
        this.cache.set(key, { data: chunk.data, width: chunk.width }, chunk.data.byteLength);
        if (image.needsSample && image === this.stack.current) {
          image.setDisplay({}, () => this.sample(image)); // zscale/histeq: refined as real pixels come in
          this.options.onDisplayChanged?.();
        }
        if (tile.grid !== 'dq' && tile.grid.index === image.coarsest.index) {
          this.thumbnails.delete(image.id);
          this.thumbnailReady();
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
          this.options.onError?.(
            `Part ${key.slice(image.id.length + 1)} of ${image.info.name} could not be loaded after ${tries} tries: ${error?.message ?? error}`
          );
        }
      })
      .finally(() => {
        this.inflight.delete(key);
        this.requestDraw();
      });
    return true;
  }

  /** A chunk left the cache: its texture and its meshes go too. */
  private evicted(key: string): void {
    this.renderer.release(key);
    const at = key.lastIndexOf(':'); // image ids may hold ':', tile names never do
    const reference = this.stack.reference;
    if (at > 0 && reference) {
      this.renderer.releaseMesh(`${key.slice(0, at)}>${reference.id}${key.slice(at)}`);
    }
  }

  // --- fetching ahead -----------------------------------------------------------------

  /** After a frame: fetch the next images' chunks for this view while requests are free. */
  private schedulePrefetch(): void {
    if (this.prefetchTimer === 0 && !this.disposed) {
      this.prefetchTimer = window.setTimeout(() => {
        this.prefetchTimer = 0;
        this.prefetch();
      }, 0);
    }
  }

  /**
   * Fetches the chunks of the current view for the other images, in blink order, within
   * PREFETCH_SHARE of the cache, and makes their meshes so a switch only draws. Counts the
   * images that are ready (`readyCount`, and `data-stack-ready` on the canvas). Each image's
   * chunk list is kept while the view and the stack's make-up stay (a blink only reorders),
   * and meshes are made at most MESH_BUDGET_MS per pass, the rest in the next pass, so frames
   * keep coming while a large stack gets ready.
   */
  private prefetch(): void {
    const current = this.stack.current;
    if (!current) {
      return;
    }
    const key = `${this.centerX},${this.centerY},${this.zoom},${this.canvas.width},${this.canvas.height},${this.dqBits}`;
    if (key !== this.prefetchKey) {
      this.prefetchKey = key;
      this.prefetchTiles.clear();
    }
    const started = performance.now();
    let budget = PREFETCH_SHARE * this.cacheBytes;
    let ready = 0;
    let meshesLeft = false;
    let fits = this.stack.length;
    for (const image of [current, ...this.stack.prefetchOrder()]) {
      let tiles = this.prefetchTiles.get(image.id);
      if (!tiles) {
        tiles = this.wantedTiles(image);
        this.prefetchTiles.set(image.id, tiles);
      }
      const bytes = tiles.reduce((n, tile) => n + tile.bytes, 0);
      if (bytes > budget) {
        fits = ready;
        break;
      }
      budget -= bytes;
      let done = 0;
      for (const tile of tiles) {
        if (!this.cache.get(tile.key)) {
          if (image !== current) {
            this.fetchChunk(tile); // refused while all requests are taken: a finished one draws and comes back here
          }
        } else if (image === current || this.renderer.hasMesh(this.meshKey(tile))) {
          done++;
        } else if (performance.now() - started < MESH_BUDGET_MS) {
          this.meshFor(tile);
          done++;
        } else {
          meshesLeft = true;
        }
      }
      if (done === tiles.length && image.levels.length > 0) {
        ready++;
      }
    }
    this.ready = ready;
    this.canvas.dataset.stackReady = String(ready);
    if (fits !== this.fitting) {
      this.fitting = fits;
      this.options.onStackChanged?.();
    }
    if (meshesLeft) {
      this.schedulePrefetch();
    }
  }

  // --- pixels under the cursor --------------------------------------------------------

  /** `data` of the current image at one of its level-0 pixels if its chunk is resident. */
  valueAt(x: number, y: number): number | null {
    const image = this.stack.current;
    const level = image?.levels[0];
    return image && level?.index === 0 ? this.residentValue(image, level, '0', x, y) : null;
  }

  /** A level-0 pixel of a grid whose chunk is in the cache. */
  private residentValue(image: StackImage, grid: IGrid, name: string, x: number, y: number): number | null {
    const at = chunkOfPixel({ levels: [{ shape: grid.shape, chunk: grid.chunks }] }, x, y);
    const entry = at && this.cache.peek(`${image.id}:${name}/${at.key.row}/${at.key.col}`);
    return entry ? entry.data[at.index] : null;
  }

  /** `dq` flags of the current image at a level-0 pixel if the overlay has loaded its chunk. */
  flagsAt(x: number, y: number): number | null {
    const image = this.stack.current;
    const dq = image?.dq;
    return image && dq ? this.residentValue(image, { index: 0, shape: [dq.shape[0], dq.shape[1]], chunks: [dq.chunks[0], dq.chunks[1]] }, 'dq', x, y) : null;
  }

  /** Shows the DQ flags in `bits` over the image (0 hides the overlay); drawn once the
   * full-resolution level is on screen, since flags belong to single pixels. */
  setDqOverlay(bits: number): void {
    this.dqBits = bits >>> 0;
    this.requestDraw();
  }

  /** The DQ flags the overlay shows (0: hidden). */
  get dqOverlayBits(): number {
    return this.dqBits;
  }

  /** Whether the current image has a `dq` array to overlay. */
  get hasDq(): boolean {
    return !!this.stack.current?.dq;
  }

  // --- geometry and events ------------------------------------------------------------

  private stackChanged(): void {
    this.requestDraw();
    this.options.onStackChanged?.();
  }

  private thumbnailReady(): void {
    if (this.thumbnailTimer === 0) {
      this.thumbnailTimer = window.setTimeout(() => {
        this.thumbnailTimer = 0;
        this.options.onStackChanged?.();
      }, 100);
    }
  }

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

  /** Zooms by `factor` keeping the point under (cssX, cssY) fixed. */
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
      this.pointer = [event.clientX - rect.left, event.clientY - rect.top];
      this.reportStatus();
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
        '1': () => this.setView(this.centerX, this.centerY, devicePixelRatio),
        // the blink stack: ds9's Tab / Shift-Tab are taken by focus navigation here
        n: () => this.next(),
        N: () => this.previous(),
        ']': () => this.next(),
        '[': () => this.previous(),
        ' ': () => (this.blinking ? this.stopBlink() : this.blink(this.blinkMs))
      };
      const action = actions[event.key];
      if (action && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        event.stopPropagation();
        action();
        this.reportStatus();
      }
    });
  }

  /** The status line for the pixel of the current image under the last pointer position. */
  private reportStatus(): void {
    const image = this.stack.current;
    if (!image || !this.pointer) {
      return;
    }
    const [rx, ry] = this.screenToImage(...this.pointer);
    const [fx, fy] = this.fromReference(image, rx, ry);
    const x = Math.round(fx);
    const y = Math.round(fy);
    const [rows, cols] = image.shape;
    const inside = x >= 0 && y >= 0 && x < cols && y < rows;
    this.options.onStatus?.({
      x: inside ? x : null,
      y: inside ? y : null,
      value: inside ? this.valueAt(x, y) : null,
      flags: inside ? this.flagsAt(x, y) : null
    });
  }

  /** The blink interval last used (ms). */
  get blinkInterval(): number {
    return this.blinkMs;
  }

  private readonly renderer: TileRenderer;
  private readonly resizeObserver: ResizeObserver;
  private readonly abort = new AbortController();
  private readonly cacheBytes: number;
  /** CPU copies of the resident chunks of all images, least recently drawn evicted first, with their GPU textures. */
  private readonly cache: LRU<string, ICacheEntry>;
  private readonly inflight = new Set<string>();
  private readonly failed = new Map<string, { tries: number; retryAt: number }>();
  private readonly stack = new Stack<StackImage>();
  /** Mesh step per `${image}>${reference}:${level}`. */
  private readonly steps = new Map<string, number>();
  private readonly thumbnails = new Map<string, { version: number; picture: ImageData }>();
  private thumbnailVersion = 0;
  private thumbnailTimer = 0;
  private lastId = 0;
  private sync = true;
  private limitsMode: LimitsMode = 'per-image';
  private intervalBeforeFixed: Interval | null = null;
  private blinkTimer: number | null = null;
  private blinkMs = 500;
  private switchedAt: number | null = null;
  private readonly switchTimes: number[] = [];
  private prefetchKey = '';
  /**
   * Each image's chunks for the view of `prefetchKey`; cleared (key '') when what an image
   * needs can change: images added or removed, the reference, a borrowed WCS, new levels.
   */
  private readonly prefetchTiles = new Map<string, IWantedTile[]>();
  private prefetchTimer = 0;
  private ready = 0;
  private fitting = 0;
  private dqBits = 0;
  private frames = 0;
  private frame = 0;
  private disposed = false;
  private pointer: [number, number] | null = null;
  private drag: { x: number; y: number; centerX: number; centerY: number } | null = null;
  private centerX = 0;
  private centerY = 0;
  private zoom = 1;
}

/** A mesh drawing a tile where it is (the reference itself, or pixel-on-pixel alignment). */
function identityMesh(rect: IRect) {
  const ox = Math.round((rect.x0 + rect.x1) / 2);
  const oy = Math.round((rect.y0 + rect.y1) / 2);
  return {
    positions: new Float32Array([rect.x0 - ox, rect.y0 - oy, rect.x1 - ox, rect.y0 - oy, rect.x0 - ox, rect.y1 - oy, rect.x1 - ox, rect.y1 - oy]),
    uvs: new Float32Array([0, 0, 1, 0, 0, 1, 1, 1]),
    indices: new Uint16Array([0, 1, 3, 0, 3, 2]),
    ox,
    oy,
    columns: 2,
    rows: 2
  };
}

function stringOrNull(value: unknown): string | null {
  return value === undefined || value === null ? null : String(value);
}
