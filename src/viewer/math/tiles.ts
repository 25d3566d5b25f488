/**
 * Which chunks of which pyramid level to draw: the renderer fetches only these, so a
 * 4088^2 exposure or a larger mosaic costs what the canvas shows, not what the file holds.
 *
 * Level k of a store's pyramid is the image binned 2^k x 2^k (factor 2): its pixel j covers
 * level-0 pixels [j 2^k - 0.5, (j + 1) 2^k - 0.5], i.e. its centre is at j 2^k + (2^k - 1)/2,
 * the OME-NGFF translation the store writes (docs/store-format.md). All rectangles here are
 * in continuous level-0 image coordinates (view.ts).
 */

import { IView } from './view';

/** One pyramid level: its array shape [ny, nx] and chunk shape [rows, cols]. */
export interface ILevel {
  shape: readonly [number, number];
  chunk: readonly [number, number];
}

/** A multiscale pyramid, level 0 first (full resolution), each level half the previous. */
export interface IPyramid {
  levels: readonly ILevel[];
}

/** A chunk: pyramid level and its row/column in that level's chunk grid. */
export interface IChunkKey {
  level: number;
  row: number;
  col: number;
}

/** An axis-aligned rectangle in level-0 image coordinates. */
export interface IRect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * The pyramid of a store from its `pyramid_shapes`, with the store's chunking: square
 * chunks of `chunk` pixels, or of the longer side of a level smaller than that.
 */
export function pyramidFromShapes(shapes: ReadonlyArray<readonly [number, number]>, chunk = 512): IPyramid {
  return {
    levels: shapes.map(shape => {
      const c = Math.min(chunk, Math.max(shape[0], shape[1]));
      return { shape, chunk: [c, c] as const };
    })
  };
}

/**
 * The finest level whose pixels cover at least `minDevicePixels` device pixels: level 0
 * while image pixels are at least that big on screen, then one level coarser per halving
 * of the zoom (never coarser than needed, never beyond the coarsest level).
 */
export function chooseLevel(pyramid: IPyramid, view: IView, minDevicePixels = 1): number {
  const devicePixelsPerImagePixel = view.zoom * view.dpr;
  const level = Math.ceil(Math.log2(minDevicePixels / devicePixelsPerImagePixel) - 1e-9);
  return Math.min(Math.max(level, 0), pyramid.levels.length - 1);
}

/** The part of the image plane the canvas shows. */
export function viewRect(view: IView): IRect {
  const hw = view.width / 2 / view.zoom;
  const hh = view.height / 2 / view.zoom;
  return { x0: view.cx - hw, y0: view.cy - hh, x1: view.cx + hw, y1: view.cy + hh };
}

/** The canvas border, `samplesPerEdge` points per edge, in order around it (corners once each). */
export function canvasBorder(width: number, height: number, samplesPerEdge: number): Array<[number, number]> {
  const n = samplesPerEdge;
  const border: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    border.push([(i / n) * width, 0]);
  }
  for (let i = 0; i < n; i++) {
    border.push([width, (i / n) * height]);
  }
  for (let i = 0; i < n; i++) {
    border.push([width - (i / n) * width, height]);
  }
  for (let i = 0; i < n; i++) {
    border.push([0, height - (i / n) * height]);
  }
  return border;
}

/**
 * The bounding box, in another image's pixels, of the canvas mapped through `toImage`
 * (e.g. screen -> reference pixel -> sky -> exposure pixel while blinking): the canvas border
 * is sampled `samplesPerEdge` times per edge, enough for smooth WCS maps; border points that
 * do not map are left out.
 */
export function mappedRect(
  view: IView,
  toImage: (sx: number, sy: number) => readonly [number, number],
  samplesPerEdge = 8
): IRect {
  const rect: IRect = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
  for (const [sx, sy] of canvasBorder(view.width, view.height, samplesPerEdge)) {
    const [x, y] = toImage(sx, sy);
    if (Number.isFinite(x) && Number.isFinite(y)) {
      rect.x0 = Math.min(rect.x0, x);
      rect.y0 = Math.min(rect.y0, y);
      rect.x1 = Math.max(rect.x1, x);
      rect.y1 = Math.max(rect.y1, y);
    }
  }
  return rect;
}

/** The chunk grid size [rows, cols] of a level. */
export function chunkGrid(level: ILevel): [number, number] {
  return [Math.ceil(level.shape[0] / level.chunk[0]), Math.ceil(level.shape[1] / level.chunk[1])];
}

/** The level-0 rectangle a chunk covers (where the renderer draws its texture). */
export function chunkRect(pyramid: IPyramid, key: IChunkKey): IRect {
  const { shape, chunk } = pyramid.levels[key.level];
  const scale = 2 ** key.level;
  const cols = [key.col * chunk[1], Math.min((key.col + 1) * chunk[1], shape[1])];
  const rows = [key.row * chunk[0], Math.min((key.row + 1) * chunk[0], shape[0])];
  return {
    x0: cols[0] * scale - 0.5,
    x1: cols[1] * scale - 0.5,
    y0: rows[0] * scale - 0.5,
    y1: rows[1] * scale - 0.5
  };
}

/**
 * The chunks of `level` that intersect `rect` (level-0 coordinates), grown by `margin`
 * chunks on every side for prefetching, nearest to the rectangle's centre first (the
 * order to fetch them in).
 */
export function chunksInRect(pyramid: IPyramid, level: number, rect: IRect, margin = 0): IChunkKey[] {
  const lv = pyramid.levels[level];
  const [rows, cols] = chunkGrid(lv);
  const scale = 2 ** level;
  // level-0 x -> chunk column: level-k pixel edge coordinate (x + 0.5) / 2^k, then / chunk
  const colOf = (x: number): number => Math.floor((x + 0.5) / scale / lv.chunk[1]);
  const rowOf = (y: number): number => Math.floor((y + 0.5) / scale / lv.chunk[0]);
  const c0 = Math.max(colOf(rect.x0) - margin, 0);
  const c1 = Math.min(colOf(rect.x1) + margin, cols - 1);
  const r0 = Math.max(rowOf(rect.y0) - margin, 0);
  const r1 = Math.min(rowOf(rect.y1) + margin, rows - 1);
  const cx = (rect.x0 + rect.x1) / 2;
  const cy = (rect.y0 + rect.y1) / 2;
  const found: Array<{ key: IChunkKey; distance: number }> = [];
  for (let row = r0; row <= r1; row++) {
    for (let col = c0; col <= c1; col++) {
      const key = { level, row, col };
      const r = chunkRect(pyramid, key);
      found.push({ key, distance: Math.hypot((r.x0 + r.x1) / 2 - cx, (r.y0 + r.y1) / 2 - cy) });
    }
  }
  found.sort((a, b) => a.distance - b.distance || a.key.row - b.key.row || a.key.col - b.key.col);
  return found.map(f => f.key);
}

/** The chunks the canvas shows at the level chooseLevel() picks, centre first. */
export function visibleChunks(pyramid: IPyramid, view: IView, margin = 0): IChunkKey[] {
  return chunksInRect(pyramid, chooseLevel(pyramid, view), viewRect(view), margin);
}

/**
 * Where a level-0 pixel's value is: its chunk at `level` and the index inside that chunk's
 * row-major data (zarr edge chunks have the full chunk shape); null outside the image.
 */
export function chunkOfPixel(
  pyramid: IPyramid,
  col: number,
  row: number,
  level = 0
): { key: IChunkKey; index: number } | null {
  const lv = pyramid.levels[level];
  const scale = 2 ** level;
  const c = Math.floor((col + 0.5) / scale);
  const r = Math.floor((row + 0.5) / scale);
  if (c < 0 || r < 0 || c >= lv.shape[1] || r >= lv.shape[0]) {
    return null;
  }
  const key = { level, row: Math.floor(r / lv.chunk[0]), col: Math.floor(c / lv.chunk[1]) };
  return { key, index: (r % lv.chunk[0]) * lv.chunk[1] + (c % lv.chunk[1]) };
}
