/**
 * The display tiles of every image of a stack that are on the GPU: which tiles an image needs
 * for a view (`tilesInView`), fetching the stored chunks they are cut from (a few requests at
 * a time, one request per chunk for all its tiles in view, failures retried with backoff, then
 * reported once), and a bounded cache of the tiles' CPU copies, least recently drawn evicted
 * first with their textures. Pixel values under the cursor and limit samples read it.
 */
import { StackAlignment } from './alignment';
import { cutTile, DISPLAY_TILE, ISubTile, mappedOutline, Outline, outlineBounds, subTilesOfChunk } from './math/displayTiles';
import { LRU } from './math/lru';
import { chooseLevel, chunkOfPixel, chunksInRect, IPyramid, IRect, mappedRect, viewRect } from './math/tiles';
import * as geometry from './math/view';
import { TileRenderer } from './renderer';
import { StackImage } from './stackImage';
import { IChunk, IPyramidLevel, RomanStore } from './store';

/** A chunk request that fails is retried with exponential backoff, then reported once. */
const MAX_TRIES = 3;
/** Pixels a limit sample takes from the tiles on screen (zscale, histogram equalisation). */
const SAMPLE_PIXELS = 4 * 2 ** 20;

/** A chunk grid over level-`index` pixels (a pyramid level, or the dq array). */
export type IGrid = Pick<IPyramidLevel, 'index' | 'shape' | 'chunks'>;

export interface ICacheEntry {
  data: Float32Array | Uint32Array;
  width: number;
}

/** One display tile an image needs for the view: the chunk to fetch it from and how to draw it. */
export interface IWantedTile {
  image: StackImage;
  /** Cache and texture key `${image}:${grid}/${row}/${col}/${subRow}/${subCol}`. */
  key: string;
  /** The stored chunk it is cut from: its grid, row and column, and `${image}:${grid}/${row}/${col}`. */
  grid: IPyramidLevel | 'dq';
  row: number;
  col: number;
  chunkKey: string;
  sub: ISubTile;
  /** Level-0 pixel edges of the tile in its image. */
  rect: IRect;
  bytes: number;
}

export interface IChunkCacheOptions {
  /** Bytes of tile data kept for all images together. */
  bytes: number;
  /** Parallel chunk requests. */
  concurrency: number;
  /** Whether an image is still in the stack (a late chunk of a removed one is dropped). */
  holds: (image: StackImage) => boolean;
  /** A whole chunk arrived, before its tiles are cut (thumbnails keep their own copy of the coarsest). */
  onChunk?: (tile: IWantedTile, chunk: IChunk) => void;
  /** The tiles cut from one chunk arrived (drawn on the next frame): once per chunk, `tile` one of them. */
  onLoaded: (tile: IWantedTile) => void;
  /** A tile left the cache: its texture is released; its meshes go too. */
  onEvicted: (key: string) => void;
  /** Something to draw: a chunk arrived, failed, or may be retried. */
  requestDraw: () => void;
  onError?: (message: string) => void;
}

/** The dq array of an image as a grid (drawn at full resolution only). */
export function dqGrid(dq: NonNullable<StackImage['dq']>): IGrid {
  return { index: 0, shape: [dq.shape[0], dq.shape[1]], chunks: [dq.chunks[0], dq.chunks[1]] };
}

/** A grid as math/tiles sees it: a pyramid whose entry `grid.index` is the grid (only that one is read). */
function gridPyramid(grid: IGrid): IPyramid {
  return { levels: Array(grid.index + 1).fill({ shape: grid.shape, chunk: grid.chunks }) };
}

/**
 * The display tiles of one grid of an image that meet `rect` (its level-0 pixels) and, when
 * given, the polygon `outline` inside it, centre first.
 */
export function gridTiles(image: StackImage, grid: IGrid, rect: IRect, outline: Outline | null, dq?: 'dq'): IWantedTile[] {
  const pyramid = gridPyramid(grid);
  const name = dq ?? String(grid.index);
  const tiles: Array<IWantedTile & { distance: number }> = [];
  const [cx, cy] = [(rect.x0 + rect.x1) / 2, (rect.y0 + rect.y1) / 2];
  for (const key of chunksInRect(pyramid, grid.index, rect)) {
    const chunkKey = `${image.id}:${name}/${key.row}/${key.col}`;
    for (const { sub, rect: tileRect } of subTilesOfChunk(pyramid, key, rect, outline)) {
      tiles.push({
        image,
        key: `${chunkKey}/${sub.row}/${sub.col}`,
        grid: dq ?? (grid as IPyramidLevel),
        row: key.row,
        col: key.col,
        chunkKey,
        sub,
        rect: tileRect,
        bytes: 4 * sub.width * sub.height,
        distance: Math.hypot((tileRect.x0 + tileRect.x1) / 2 - cx, (tileRect.y0 + tileRect.y1) / 2 - cy)
      });
    }
  }
  tiles.sort((a, b) => a.distance - b.distance);
  return tiles.map(({ distance: _, ...tile }) => tile);
}

/**
 * The display tiles an image needs for a view of the reference frame, in drawing order: its
 * coarsest level's (always, as a backdrop while finer tiles load), the level for the zoom's,
 * and the DQ overlay's at full resolution when `dqBits` shows some. An image aligned by WCS
 * needs only the tiles that meet the canvas mapped into its pixels, not its bounding box.
 */
export function tilesInView(image: StackImage, here: geometry.IView, alignment: StackAlignment, dqBits: number): IWantedTile[] {
  if (image.levels.length === 0) {
    return []; // no level written yet (refreshLevels picks them up)
  }
  const aligned = alignment.alignmentOf(image) === 'wcs';
  const toImage = (sx: number, sy: number) => alignment.fromReference(image, ...geometry.screenToImage(here, sx, sy));
  const outline = aligned ? mappedOutline(here.width, here.height, toImage) : null;
  const rect = outline ? outlineBounds(outline) : aligned ? mappedRect(here, toImage) : viewRect(here);
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
  const tiles = gridTiles(image, coarsest, rect, outline);
  if (level !== coarsest) {
    tiles.push(...gridTiles(image, level, rect, outline));
  }
  if (dqBits && image.dq && level.index === 0) {
    tiles.push(...gridTiles(image, dqGrid(image.dq), rect, outline, 'dq'));
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

  /** Whether a tile is resident, marking it most recently used. */
  use(key: string): boolean {
    return !!this.entries.get(key);
  }

  /** A level-0 pixel of a grid of an image if its tile is resident. */
  valueAt(image: StackImage, grid: IGrid, name: string, x: number, y: number): number | null {
    const pyramid = gridPyramid(grid);
    const at = chunkOfPixel(pyramid, x, y, grid.index);
    if (!at) {
      return null;
    }
    const [r, c] = [Math.floor(at.index / grid.chunks[1]), at.index % grid.chunks[1]]; // in the chunk
    const [row, col] = [Math.floor(r / DISPLAY_TILE), Math.floor(c / DISPLAY_TILE)];
    const entry = this.entries.peek(`${image.id}:${name}/${at.key.row}/${at.key.col}/${row}/${col}`);
    return entry ? entry.data[(r - row * DISPLAY_TILE) * entry.width + (c - col * DISPLAY_TILE)] : null;
  }

  /**
   * Pixels of an image for limits that need a sample: its full-resolution tiles loaded so
   * far (what is on screen), else its coarsest level's.
   */
  sample(image: StackImage): Float32Array {
    const pick = (prefix: string): Float32Array[] => {
      const parts: Float32Array[] = [];
      let pixels = 0;
      for (const key of this.entries.keys()) {
        const entry = this.entries.peek(key)!;
        if (key.startsWith(prefix) && entry.data instanceof Float32Array && pixels < SAMPLE_PIXELS) {
          parts.push(entry.data);
          pixels += entry.data.length;
        }
      }
      return parts;
    };
    let parts = pick(`${image.id}:0/`);
    if (parts.length === 0 && image.levels.length > 0) {
      parts = pick(`${image.id}:${image.coarsest.index}/`);
    }
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  /** Drops every tile of an image (removed from the stack). */
  forget(imageId: string): void {
    for (const key of this.entries.keys()) {
      if (key.startsWith(`${imageId}:`)) {
        this.entries.delete(key);
      }
    }
  }

  /**
   * Fetches a tile: asks for its chunk unless the chunk failed for good, waits to be retried,
   * or all requests are taken; a tile whose chunk is already on its way is cut from it too.
   * False when nothing was asked for.
   */
  fetch(tile: IWantedTile, signal: AbortSignal): boolean {
    const { chunkKey } = tile;
    const waiting = this.inflight.get(chunkKey);
    if (waiting) {
      waiting.set(tile.key, tile);
      return true;
    }
    const failure = this.failed.get(chunkKey);
    if (failure && (failure.tries >= MAX_TRIES || performance.now() < failure.retryAt)) {
      return false;
    }
    if (this.inflight.size >= this.options.concurrency) {
      return false; // asked again on the next frame, which every finished request schedules
    }
    const tiles = new Map([[tile.key, tile]]);
    this.inflight.set(chunkKey, tiles);
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
        this.failed.delete(chunkKey);
        if (chunk.data instanceof Float32Array) {
          this.options.onChunk?.(tile, chunk as IChunk);
        }
        for (const wanted of tiles.values()) {
          this.keep(wanted, cutTile(chunk.data, chunk.width, wanted.sub));
        }
        this.options.onLoaded(tile);
      })
      .catch(error => {
        if (signal.aborted) {
          return;
        }
        const tries = (this.failed.get(chunkKey)?.tries ?? 0) + 1;
        const retryAt = performance.now() + 500 * 2 ** tries;
        this.failed.set(chunkKey, { tries, retryAt });
        if (tries < MAX_TRIES) {
          setTimeout(() => this.options.requestDraw(), retryAt - performance.now());
        } else {
          this.options.onError?.(
            `Part ${chunkKey.slice(image.id.length + 1)} of ${image.info.name} could not be loaded after ${tries} tries: ${error?.message ?? error}`
          );
        }
      })
      .finally(() => {
        this.inflight.delete(chunkKey);
        this.options.requestDraw();
      });
    return true;
  }

  /** A tile cut from its chunk: on the GPU and in the cache. */
  private keep(tile: IWantedTile, data: Float32Array | Uint32Array): void {
    const { width, height } = tile.sub;
    if (data instanceof Uint32Array) {
      this.renderer.uploadMask(tile.key, data, width, height);
    } else {
      this.renderer.upload(tile.key, data, width, height);
    }
    this.entries.set(tile.key, { data, width }, data.byteLength);
  }

  /** CPU copies of the resident tiles of all images, with their GPU textures. */
  private readonly entries: LRU<string, ICacheEntry>;
  /** Chunks on their way, with the tiles to cut from each. */
  private readonly inflight = new Map<string, Map<string, IWantedTile>>();
  private readonly failed = new Map<string, { tries: number; retryAt: number }>();
}
