/**
 * A blink stack on a canvas: pan and zoom in the pixel frame of a reference image, the
 * current image drawn aligned on the sky (each chunk through a mesh mapped by TAN-SIP,
 * math/align.ts), the pyramid level for the zoom, visible chunks fetched centre-out into a
 * bounded cache shared by all images, the chunks of the next images fetched ahead, and a
 * status readout under the cursor. Free of JupyterLab so the notebook widget mounts the
 * same view. ImageView holds the stack and draws; its parts live beside it: chunkCache.ts
 * (which chunks, fetched and cached), meshes.ts (placed on the reference), prefetch.ts
 * (fetched ahead), viewport.ts (centre and zoom), viewInput.ts (mouse and keys),
 * stackDisplay.ts (the display across images), alignment.ts (WCS or pixel), thumbnails.ts.
 */
import { Alignment, StackAlignment } from './alignment';
import { ChunkCache, dqGrid, IWantedTile, tilesInView } from './chunkCache';
import * as geometry from './math/view';
import { TanSipWcs } from './math/wcs';
import { firstFramesMarker, mark } from './marks';
import { Meshes } from './meshes';
import { Prefetcher } from './prefetch';
import { IMeshDraw, IViewTransform, TileRenderer } from './renderer';
import { Stack } from './stack';
import { LimitsMode, StackDisplay } from './stackDisplay';
import { DEFAULT_DISPLAY, IDisplaySettings, IImageInfo, StackImage } from './stackImage';
import { RomanStore } from './store';
import { Thumbnails } from './thumbnails';
import { IInputView, IStatus, ViewInput } from './viewInput';
import { Viewport } from './viewport';

export type { IDisplaySettings, IImageInfo } from './stackImage';
export type { LimitsMode } from './stackDisplay';

export type { IStatus } from './viewInput';

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
  /** Whether the canvas acts on its own keys (default true; see ISessionOptions.canvasKeys). */
  canvasKeys?: boolean;
}

/** Recent frame-switch draw times kept for `frameTimes` (benchmarks). */
const FRAME_TIMES_KEPT = 512;

export class ImageView implements IInputView {
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
    this.viewport = new Viewport(this.canvas, () => this.imageShape, () => this.requestDraw());
    this.meshes = new Meshes(this.renderer, this.alignment);
    this.cache = new ChunkCache(this.renderer, {
      bytes: options.cacheBytes ?? 512 * 2 ** 20,
      concurrency: options.concurrency ?? 6,
      holds: image => !!this.stack.get(image.id),
      onChunk: (tile, chunk) => this.thumbnails.keep(tile, chunk) && this.thumbnailReady(),
      onLoaded: tile => this.tileLoaded(tile),
      onEvicted: key => this.meshes.releaseChunk(key),
      requestDraw: () => this.requestDraw(),
      onError: options.onError
    });
    this.thumbnails = new Thumbnails();
    this.display = new StackDisplay(this.stack, {
      sample: image => this.cache.sample(image),
      onChanged: () => this.afterDisplayChange(),
      onUnshared: () => this.stackChanged()
    });
    this.prefetcher = new Prefetcher({
      cache: this.cache,
      meshes: this.meshes,
      signal: this.abort.signal,
      blinkOrder: () => (this.stack.current ? [this.stack.current, ...this.stack.prefetchOrder()] : []),
      wantedTiles: image => this.wantedTiles(image),
      viewKey: () => `${this.viewport.key},${this.dqBits}`,
      onReady: ready => (this.canvas.dataset.stackReady = String(ready)),
      onFittingChanged: () => this.options.onStackChanged?.()
    });
    this.resizeObserver = new ResizeObserver(() => this.resized());
    this.resizeObserver.observe(host);
    new ViewInput(this, options.onStatus, options.canvasKeys ?? true); // listens on the canvas as long as it lives
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
    mark('image-open', image.info.path);
    if (this.disposed) {
      return image;
    }
    const first = this.stack.length === 0;
    const template = this.display.template;
    this.stack.add(image);
    this.prefetcher.invalidate(id);
    this.display.apply(image, { ...template });
    if (first) {
      this.viewport.resize(this.host);
      this.fit();
      this.fitWhenSized = this.canvas.width <= 1;
      this.options.onDisplayChanged?.();
      this.draw(); // its first chunks asked for now, not a frame later
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
    this.cache.forget(id);
    this.thumbnails.forget(id);
    this.meshes.release(id);
    this.prefetcher.invalidate(id);
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
      this.meshes.release(id);
      this.meshes.clearSteps();
      this.prefetcher.invalidate();
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
    return this.alignment.wcsOf(image);
  }

  /** How an image lines up with the reference (StackAlignment.alignmentOf). */
  alignmentOf(image: StackImage): Alignment {
    return this.alignment.alignmentOf(image);
  }

  /** Reference pixel of an image pixel (identity when aligned by pixel). */
  toReference(image: StackImage, x: number, y: number): [number, number] {
    return this.alignment.toReference(image, x, y);
  }

  /** Image pixel of a reference pixel (identity when aligned by pixel). */
  fromReference(image: StackImage, x: number, y: number): [number, number] {
    return this.alignment.fromReference(image, x, y);
  }

  /** How many images have every chunk of the current view resident (blinkable without a gap). */
  get readyCount(): number {
    return this.prefetcher.readyCount;
  }

  /**
   * How many images' chunks for the current view fit in the share of the chunk cache that
   * prefetch may fill; fewer than the stack: a blink shows gaps (raise the cache setting).
   */
  get fittingCount(): number {
    return this.prefetcher.fittingCount;
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
        this.prefetcher.invalidate(image.id);
      }
    }
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
    const { centerX, centerY, zoom } = this.viewport;
    return { centerX, centerY, zoom };
  }

  setView(centerX: number, centerY: number, zoom: number): void {
    this.viewport.set(centerX, centerY, zoom);
  }

  /** The whole reference image in the canvas. */
  fit(): void {
    this.viewport.fit();
  }

  /** Zooms by `factor` keeping the point under (cssX, cssY) fixed. */
  zoomAt(factor: number, cssX: number, cssY: number): void {
    this.viewport.zoomAt(factor, cssX, cssY);
  }

  /** Reference pixel (x right, y up, 0-based centres) under a point in CSS pixels of the canvas. */
  screenToImage(cssX: number, cssY: number): [number, number] {
    return geometry.screenToImage(this.viewport.geometry, cssX, cssY);
  }

  /** CSS pixel of the canvas where a reference pixel centre is drawn. */
  imageToScreen(x: number, y: number): [number, number] {
    return geometry.imageToScreen(this.viewport.geometry, x, y);
  }

  /**
   * The sky position at the view centre and the reference's arcsec per pixel there (null
   * without a reference WCS): what a change of reference keeps.
   */
  private skyAnchor(): { center: [number, number]; scale: number } | null {
    const reference = this.stack.reference;
    const wcs = reference && this.wcsOf(reference);
    const { centerX, centerY } = this.viewport;
    return wcs ? { center: wcs.pixelToWorld(centerX, centerY), scale: wcs.pixelScaleAt(centerX, centerY) } : null;
  }

  /** After the reference changed: same sky centre and screen scale, meshes remade. */
  private referenceChanged(anchor: { center: [number, number]; scale: number } | null): void {
    this.meshes.release('');
    this.meshes.clearSteps();
    this.prefetcher.invalidate();
    const reference = this.stack.reference;
    const wcs = reference && this.wcsOf(reference);
    if (!reference || !wcs || !anchor) {
      this.fit();
      return;
    }
    const [x, y] = wcs.worldToPixel(anchor.center[0], anchor.center[1]);
    this.setView(x, y, (this.viewport.zoom * wcs.pixelScaleAt(x, y)) / anchor.scale);
  }

  // --- display ------------------------------------------------------------------------

  /**
   * Changes stretch, interval or colormap: uniforms only, nothing is fetched again. Applies
   * to every image while the display is shared (`syncDisplay`), else to the current one.
   */
  setDisplay(change: Partial<IDisplaySettings>): void {
    this.display.set(change);
  }

  /** One display for all images (true, the default) or one per image. */
  get syncDisplay(): boolean {
    return this.display.shared;
  }

  set syncDisplay(sync: boolean) {
    this.display.shared = sync;
  }

  /** Gives every image the current image's display (and limits, when they are fixed). */
  applyDisplayToAll(): void {
    this.display.applyToAll();
  }

  /** Limits each image's own, or the current image's for all (StackDisplay.setLimits). */
  setLimitsMode(mode: LimitsMode): void {
    this.display.setLimits(mode);
  }

  get limitsModeValue(): LimitsMode {
    return this.display.limits;
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
    this.thumbnails.displayChanged();
    this.requestDraw();
    this.options.onDisplayChanged?.();
    this.stackChanged();
  }

  /**
   * A small picture of an image (its coarsest level with its own display), for the stack
   * list; null until that level is loaded. Row 0 of the image is at the bottom.
   */
  thumbnail(image: StackImage, size = 64): ImageData | null {
    return this.thumbnails.get(image, size);
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
      if (this.cache.use(tile.key)) {
        (tile.grid === 'dq' ? masks : tiles).push({ texture: tile.key, mesh: this.meshes.meshFor(tile) });
      } else {
        this.cache.fetch(tile, this.abort.signal);
      }
    }
    const { centerX, centerY, zoom } = this.viewport;
    const view: IViewTransform = {
      centerX,
      centerY,
      zoom,
      width: this.canvas.width,
      height: this.canvas.height
    };
    this.renderer.draw(tiles, view, { norm: image.normalization, colormap: image.colormap });
    if (masks.length > 0) {
      this.renderer.drawMasks(masks, view, this.dqBits);
    }
    this.markFrame(image.info.path, tiles.length);
    if (this.switchedAt !== null) {
      this.switchTimes.push(performance.now() - started);
      if (this.switchTimes.length > FRAME_TIMES_KEPT) {
        this.switchTimes.shift();
      }
      this.switchedAt = null;
    }
    // the view state on the element: for tests, and for anything that must map pixels to screen
    Object.assign(this.canvas.dataset, {
      centerX: String(centerX),
      centerY: String(centerY),
      zoom: String(zoom),
      tiles: String(tiles.length),
      // chunks of this view not drawn yet (0: the image is complete on screen)
      pending: String(wanted.length - tiles.length - masks.length),
      current: image.id,
      frames: String(++this.frames)
    });
    this.options.onDraw?.();
    this.prefetcher.schedule();
  }

  /** The host changed size; a view fitted before it was laid out (made early, 1 x 1) fits again. */
  private resized(): void {
    this.viewport.resize(this.host);
    if (this.fitWhenSized && this.canvas.width > 1) {
      this.fitWhenSized = false;
      this.fit();
    }
  }

  /** The chunks an image needs for the current view (tilesInView). */
  private wantedTiles(image: StackImage): IWantedTile[] {
    return tilesInView(image, this.viewport.geometry, this.alignment, this.dqBits);
  }

  /** A chunk's tiles arrived: limits that need a sample are refined (once per chunk, not per tile). */
  private tileLoaded(tile: IWantedTile): void {
    const image = tile.image;
    if (image.needsSample && image === this.stack.current) {
      this.display.apply(image, {}); // zscale/histeq: refined as real pixels come in
      this.options.onDisplayChanged?.();
    }
  }

  // --- pixels under the cursor --------------------------------------------------------

  /** `data` of the current image at one of its level-0 pixels if its chunk is resident. */
  valueAt(x: number, y: number): number | null {
    const image = this.stack.current;
    const level = image?.levels[0];
    return image && level?.index === 0 ? this.cache.valueAt(image, level, '0', x, y) : null;
  }

  /** `dq` flags of the current image at a level-0 pixel if the overlay has loaded its chunk. */
  flagsAt(x: number, y: number): number | null {
    const image = this.stack.current;
    const dq = image?.dq;
    return image && dq ? this.cache.valueAt(image, dqGrid(dq), 'dq', x, y) : null;
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

  /** The blink interval last used (ms). */
  get blinkInterval(): number {
    return this.blinkMs;
  }

  private readonly renderer: TileRenderer;
  private readonly viewport: Viewport;
  private readonly resizeObserver: ResizeObserver;
  private readonly abort = new AbortController();
  private readonly cache: ChunkCache;
  private readonly meshes: Meshes;
  private readonly stack = new Stack<StackImage>();
  private readonly alignment = new StackAlignment(this.stack);
  private readonly thumbnails: Thumbnails;
  private readonly display: StackDisplay;
  private readonly prefetcher: Prefetcher;
  private thumbnailTimer = 0;
  private lastId = 0;
  private blinkTimer: number | null = null;
  private blinkMs = 500;
  private switchedAt: number | null = null;
  private readonly switchTimes: number[] = [];
  private dqBits = 0;
  private frames = 0;
  private readonly markFrame = firstFramesMarker();
  private fitWhenSized = false;
  private frame = 0;
  private disposed = false;
}

function stringOrNull(value: unknown): string | null {
  return value === undefined || value === null ? null : String(value);
}
