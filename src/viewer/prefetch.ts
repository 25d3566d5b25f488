/**
 * Fetching ahead: after each frame, the chunks of the current view for the other images of
 * the stack, in blink order, within a share of the chunk cache, with their meshes made so
 * that a switch of image only draws. Counts the images ready to blink without a gap.
 */
import { ChunkCache, IWantedTile } from './chunkCache';
import { Meshes } from './meshes';
import { StackImage } from './stackImage';

/** The share of the chunk cache that fetching ahead may fill (the rest is for panning: tens of views of 128-px tiles). */
const PREFETCH_SHARE = 0.85;
/** Main-thread time a prefetch pass may spend making alignment meshes (the rest waits for the next pass). */
const MESH_BUDGET_MS = 6;

export interface IPrefetchOptions {
  cache: ChunkCache;
  meshes: Meshes;
  signal: AbortSignal;
  /** The image on screen, then the others in the order a blink shows them. */
  blinkOrder: () => StackImage[];
  /** The chunks an image needs for the current view. */
  wantedTiles: (image: StackImage) => IWantedTile[];
  /** What the chunk lists depend on: the view's centre, zoom, size and DQ overlay. */
  viewKey: () => string;
  /** `readyCount` changed (shown as `data-stack-ready`). */
  onReady: (ready: number) => void;
  /** `fittingCount` changed. */
  onFittingChanged: () => void;
}

export class Prefetcher {
  constructor(private readonly options: IPrefetchOptions) {}

  /** How many images have every chunk of the current view resident (blinkable without a gap). */
  get readyCount(): number {
    return this.ready;
  }

  /** How many images' tiles for the current view fit in the share of the cache it may fill. */
  get fittingCount(): number {
    return this.fitting;
  }

  /**
   * What one image needs may have changed (it was added or removed, borrowed a WCS, got new
   * levels), or, without `imageId`, every image (the reference changed): its chunk list is
   * made again in the next pass, the others' are kept.
   */
  invalidate(imageId?: string): void {
    if (imageId === undefined) {
      this.key = '';
    } else {
      this.tiles.delete(imageId);
    }
  }

  /** After a frame: fetch the next images' chunks for this view while requests are free. */
  schedule(): void {
    if (this.timer === 0 && !this.options.signal.aborted) {
      this.timer = window.setTimeout(() => {
        this.timer = 0;
        this.pass();
      }, 0);
    }
  }

  /**
   * One pass over the stack in blink order, within PREFETCH_SHARE of the cache. Each image's
   * chunk list is kept while the view and the stack's make-up stay (a blink only reorders),
   * and meshes are made at most MESH_BUDGET_MS per pass, the rest in the next pass, so frames
   * keep coming while a large stack gets ready.
   */
  private pass(): void {
    const { cache, meshes } = this.options;
    const images = this.options.blinkOrder();
    const current = images[0];
    if (!current) {
      return;
    }
    const key = this.options.viewKey();
    if (key !== this.key) {
      this.key = key;
      this.tiles.clear();
    }
    const started = performance.now();
    let budget = PREFETCH_SHARE * cache.bytes;
    let ready = 0;
    let meshesLeft = false;
    let fits = images.length;
    for (const image of images) {
      let wanted = this.tiles.get(image.id);
      if (!wanted) {
        const list = this.options.wantedTiles(image);
        wanted = { tiles: list, bytes: list.reduce((n, tile) => n + tile.bytes, 0) };
        this.tiles.set(image.id, wanted);
      }
      const { tiles, bytes } = wanted;
      if (bytes > budget) {
        fits = ready;
        break;
      }
      budget -= bytes;
      let done = 0;
      for (const tile of tiles) {
        if (!cache.use(tile.key)) {
          if (image !== current) {
            cache.fetch(tile, this.options.signal); // refused while all requests are taken: a finished one draws and comes back here
          }
        } else if (image === current || meshes.has(tile)) {
          done++;
        } else if (performance.now() - started < MESH_BUDGET_MS) {
          meshes.meshFor(tile);
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
    this.options.onReady(ready);
    if (fits !== this.fitting) {
      this.fitting = fits;
      this.options.onFittingChanged();
    }
    if (meshesLeft) {
      this.schedule();
    }
  }

  /** The view the chunk lists are for ('' : make them again). */
  private key = '';
  /** Per image: the tiles of the current view and their bytes. */
  private readonly tiles = new Map<string, { tiles: IWantedTile[]; bytes: number }>();
  private timer = 0;
  private ready = 0;
  private fitting = Infinity; // all, until a pass has sized them
}
