/**
 * The chunks of every image of a stack that are on the GPU: which chunks an image needs
 * for a view (`tilesInView`), fetching them (a few requests at a time, failures retried with backoff,
 * then reported once), and a bounded cache of their CPU copies, least recently drawn evicted
 * first with their textures. Pixel values under the cursor and limit samples read it.
 */
import { StackAlignment } from './alignment';
import { LRU } from './math/lru';
import { chooseLevel, chunkOfPixel, chunkRect, chunksInRect, IPyramid, IRect, mappedRect, viewRect } from './math/tiles';
import * as geometry from './math/view';
import { TileRenderer } from './renderer';
import { StackImage } from './stackImage';
import { IChunk, IPyramidLevel, RomanStore } from './store';

/** A chunk request that fails is retried with exponential backoff, then reported once. */
const MAX_TRIES = 3;

/** A chunk grid over level-`index` pixels (a pyramid level, or the dq array). */
export type IGrid = Pick<IPyramidLevel, 'index' | 'shape' | 'chunks'>;

export interface ICacheEntry {
  data: Float32Array | Uint32Array;
  width: number;
}

/** One chunk an image needs for the view: where to fetch it and how to draw it. */
export interface IWantedTile {
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

export interface IChunkCacheOptions {
  /** Bytes of chunk data kept for all images together. */
  bytes: number;
  /** Parallel chunk requests. */
  concurrency: number;
  /** Whether an image is still in the stack (a late chunk of a removed one is dropped). */
  holds: (image: StackImage) => boolean;
  /** A chunk arrived (drawn on the next frame). */
  onLoaded: (tile: IWantedTile) => void;
  /** A chunk left the cache: its texture is released; its meshes go too. */
  onEvicted: (key: string) => void;
  /** Something to draw: a chunk arrived, failed, or may be retried. */
  requestDraw: () => void;
  onError?: (message: string) => void;
}

/** The dq array of an image as a grid (drawn at full resolution only). */
export function dqGrid(dq: NonNullable<StackImage['dq']>): IGrid {
  return { index: 0, shape: [dq.shape[0], dq.shape[1]], chunks: [dq.chunks[0], dq.chunks[1]] };
}

/** The chunks of one grid of an image that meet `rect` (its level-0 pixels), centre first. */
export function gridTiles(image: StackImage, grid: IGrid, rect: IRect, dq?: 'dq'): IWantedTile[] {
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

/**
 * The chunks an image needs for a view of the reference frame, in drawing order: its
 * coarsest level (always, as a backdrop while finer chunks load), the level for the zoom,
 * and the DQ overlay's chunks at full resolution when `dqBits` shows some.
 */
export function tilesInView(image: StackImage, here: geometry.IView, alignment: StackAlignment, dqBits: number): IWantedTile[] {
  if (image.levels.length === 0) {
    return []; // no level written yet (refreshLevels picks them up)
  }
  const aligned = alignment.alignmentOf(image) === 'wcs';
  const rect = aligned
    ? mappedRect(here, (sx, sy) => alignment.fromReference(image, ...geometry.screenToImage(here, sx, sy)))
    : viewRect(here);
  if (!(rect.x1 >= rect.x0 && rect.y1 >= rect.y0)) {
    return []; // the view is not on this image's sky at all
  }
  let zoom = here.zoom;
  if (aligned) {
    const [x, y] = alignment.fromReference(image, here.cx, here.cy);
    const reference = alignment.reference!;
    const ratio = alignment.wcsOf(image)!.pixelScaleAt(x, y) / alignment.wcsOf(reference)!.pixelScaleAt(here.cx, here.cy);
    zoom = Number.isFinite(ratio) && ratio > 0 ? here.zoom * ratio : here.zoom;
  }
  const level = image.levelAtLeast(chooseLevel(image.pyramid, { ...here, zoom }));
  const coarsest = image.coarsest;
  const tiles = gridTiles(image, coarsest, rect);
  if (level !== coarsest) {
    tiles.push(...gridTiles(image, level, rect));
  }
  if (dqBits && image.dq && level.index === 0) {
    tiles.push(...gridTiles(image, dqGrid(image.dq), rect, 'dq'));
  }
  return tiles;
}

export class ChunkCache {
  constructor(
    private readonly renderer: TileRenderer,
    private readonly options: IChunkCacheOptions
  ) {
    this.entries = new LRU(options.bytes, key => {
      this.renderer.release(key);
      options.onEvicted(key);
    });
  }

  get bytes(): number {
    return this.options.bytes;
  }

  /** Whether a chunk is resident, marking it most recently used. */
  use(key: string): boolean {
    return !!this.entries.get(key);
  }

  /** A resident chunk, without marking it used. */
  peek(key: string): ICacheEntry | undefined {
    return this.entries.peek(key);
  }

  /** A level-0 pixel of a grid of an image if its chunk is resident. */
  valueAt(image: StackImage, grid: IGrid, name: string, x: number, y: number): number | null {
    const at = chunkOfPixel({ levels: [{ shape: grid.shape, chunk: grid.chunks }] }, x, y);
    const entry = at && this.entries.peek(`${image.id}:${name}/${at.key.row}/${at.key.col}`);
    return entry ? entry.data[at.index] : null;
  }

  /**
   * Pixels of an image for limits that need a sample: its full-resolution chunks loaded so
   * far (what is on screen), else its coarsest level.
   */
  sample(image: StackImage): Float32Array {
    const parts: Float32Array[] = [];
    const prefix = `${image.id}:0/`;
    for (const key of this.entries.keys()) {
      const entry = this.entries.peek(key)!;
      if (key.startsWith(prefix) && entry.data instanceof Float32Array && parts.length < 16) {
        parts.push(entry.data);
      }
    }
    if (parts.length === 0 && image.levels.length > 0) {
      const entry = this.entries.peek(`${image.id}:${image.coarsest.index}/0/0`);
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

  /** Drops every chunk of an image (removed from the stack). */
  forget(imageId: string): void {
    for (const key of this.entries.keys()) {
      if (key.startsWith(`${imageId}:`)) {
        this.entries.delete(key);
      }
    }
  }

  /** Fetches a chunk unless it is on its way, failed for good, waiting to retry, or all requests are taken. */
  fetch(tile: IWantedTile, signal: AbortSignal): boolean {
    const { key } = tile;
    const failure = this.failed.get(key);
    if (this.inflight.has(key) || (failure && (failure.tries >= MAX_TRIES || performance.now() < failure.retryAt))) {
      return false;
    }
    if (this.inflight.size >= this.options.concurrency) {
      return false; // asked again on the next frame, which every finished request schedules
    }
    this.inflight.add(key);
    const image = tile.image;
    const request: Promise<IChunk | { data: Uint32Array; width: number; height: number }> =
      tile.grid === 'dq'
        ? RomanStore.maskChunk(image.dq!, tile.row, tile.col, signal)
        : RomanStore.chunk(tile.grid, tile.row, tile.col, signal);
    request
      .then(chunk => {
        if (signal.aborted || !this.options.holds(image)) {
          return;
        }
        this.failed.delete(key);
        if (chunk.data instanceof Uint32Array) {
          this.renderer.uploadMask(key, chunk.data, chunk.width, chunk.height);
        } else {
          this.renderer.upload(key, chunk.data, chunk.width, chunk.height);
        }
        this.entries.set(key, { data: chunk.data, width: chunk.width }, chunk.data.byteLength);
        this.options.onLoaded(tile);
      })
      .catch(error => {
        if (signal.aborted) {
          return;
        }
        const tries = (this.failed.get(key)?.tries ?? 0) + 1;
        const retryAt = performance.now() + 500 * 2 ** tries;
        this.failed.set(key, { tries, retryAt });
        if (tries < MAX_TRIES) {
          setTimeout(() => this.options.requestDraw(), retryAt - performance.now());
        } else {
          this.options.onError?.(
            `Part ${key.slice(image.id.length + 1)} of ${image.info.name} could not be loaded after ${tries} tries: ${error?.message ?? error}`
          );
        }
      })
      .finally(() => {
        this.inflight.delete(key);
        this.options.requestDraw();
      });
    return true;
  }

  /** CPU copies of the resident chunks of all images, with their GPU textures. */
  private readonly entries: LRU<string, ICacheEntry>;
  private readonly inflight = new Set<string>();
  private readonly failed = new Map<string, { tries: number; retryAt: number }>();
}
