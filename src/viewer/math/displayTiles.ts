/**
 * Display tiles: the unit the viewer keeps. A stored chunk (512 x 512 pixels, the unit worth
 * a request) is fetched whole, but only its 128 x 128 tiles that the view meets are kept, each
 * as its own cache entry and texture, so the memory of a blink stack is what the view of each
 * image needs, not the chunks around it (a 1280 x 720 view of a rotated exposure meets
 * 9 chunks, 9 MiB, but about 70 tiles, 4.4 MiB).
 */
import { canvasBorder, chunkRect, IChunkKey, IPyramid, IRect } from './tiles';

/** Side of a display tile in pixels of its level. */
export const DISPLAY_TILE = 128;

/** A display tile inside its stored chunk: its place in the chunk's tile grid and its pixels there. */
export interface ISubTile {
  row: number;
  col: number;
  /** First column and row in the chunk (pixels of its level). */
  x0: number;
  y0: number;
  /** Valid pixels: edge tiles of the image are cut to it, so a texture holds no padding. */
  width: number;
  height: number;
}

/** An outline in level-0 image pixels, as x, y pairs in order around it. */
export type Outline = Float64Array;

/**
 * The display tiles of one stored chunk that meet `rect` (level-0 pixels) and, when given,
 * the polygon `outline`, with the level-0 rectangle each covers.
 */
export function subTilesOfChunk(
  pyramid: IPyramid,
  key: IChunkKey,
  rect: IRect,
  outline: Outline | null,
  side = DISPLAY_TILE
): Array<{ sub: ISubTile; rect: IRect }> {
  const whole = chunkRect(pyramid, key);
  const scale = 2 ** key.level;
  const width = Math.round((whole.x1 - whole.x0) / scale); // valid pixels of the chunk
  const height = Math.round((whole.y1 - whole.y0) / scale);
  const found: Array<{ sub: ISubTile; rect: IRect }> = [];
  for (let row = 0; row * side < height; row++) {
    for (let col = 0; col * side < width; col++) {
      const sub = {
        row,
        col,
        x0: col * side,
        y0: row * side,
        width: Math.min(side, width - col * side),
        height: Math.min(side, height - row * side)
      };
      const tileRect = {
        x0: whole.x0 + sub.x0 * scale,
        y0: whole.y0 + sub.y0 * scale,
        x1: whole.x0 + (sub.x0 + sub.width) * scale,
        y1: whole.y0 + (sub.y0 + sub.height) * scale
      };
      const meets = tileRect.x1 >= rect.x0 && tileRect.x0 <= rect.x1 && tileRect.y1 >= rect.y0 && tileRect.y0 <= rect.y1;
      if (meets && (!outline || rectMeetsOutline(grow(tileRect, scale), outline))) {
        found.push({ sub, rect: tileRect });
      }
    }
  }
  return found;
}

/** A display tile's pixels copied out of its chunk (rows of `stride` values). */
export function cutTile<T extends Float32Array | Uint32Array>(data: T, stride: number, sub: ISubTile): T {
  const out = new (data.constructor as { new (n: number): T })(sub.width * sub.height);
  for (let j = 0; j < sub.height; j++) {
    const from = (sub.y0 + j) * stride + sub.x0;
    out.set(data.subarray(from, from + sub.width), j * sub.width);
  }
  return out;
}

/**
 * The canvas border mapped through `toImage` into another image's pixels, `samplesPerEdge`
 * points per edge in order around it; null where some border point does not map (then
 * only the bounding rectangle bounds what is needed).
 */
export function mappedOutline(
  width: number,
  height: number,
  toImage: (sx: number, sy: number) => readonly [number, number],
  samplesPerEdge = 8
): Outline | null {
  const border = canvasBorder(width, height, samplesPerEdge);
  const outline = new Float64Array(2 * border.length);
  for (let k = 0; k < border.length; k++) {
    const [x, y] = toImage(border[k][0], border[k][1]);
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      return null;
    }
    outline[2 * k] = x;
    outline[2 * k + 1] = y;
  }
  return outline;
}

/** The bounding rectangle of an outline (mappedRect's: the same border points). */
export function outlineBounds(outline: Outline): IRect {
  const rect: IRect = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
  for (let k = 0; k < outline.length; k += 2) {
    rect.x0 = Math.min(rect.x0, outline[k]);
    rect.x1 = Math.max(rect.x1, outline[k]);
    rect.y0 = Math.min(rect.y0, outline[k + 1]);
    rect.y1 = Math.max(rect.y1, outline[k + 1]);
  }
  return rect;
}

/**
 * Whether a rectangle and a simple polygon share a point: an edge of the polygon crosses the
 * rectangle, or one holds the other (the rectangle's centre inside the polygon, or a vertex
 * of the polygon inside the rectangle).
 */
export function rectMeetsOutline(rect: IRect, outline: Outline): boolean {
  const n = outline.length / 2;
  for (let k = 0; k < n; k++) {
    const [ax, ay] = [outline[2 * k], outline[2 * k + 1]];
    const [bx, by] = [outline[2 * ((k + 1) % n)], outline[2 * ((k + 1) % n) + 1]];
    if (segmentMeetsRect(ax, ay, bx, by, rect)) {
      return true; // covers a vertex inside the rectangle too
    }
  }
  return pointInOutline((rect.x0 + rect.x1) / 2, (rect.y0 + rect.y1) / 2, outline);
}

/** Even-odd rule. */
function pointInOutline(x: number, y: number, outline: Outline): boolean {
  const n = outline.length / 2;
  let inside = false;
  for (let k = 0, j = n - 1; k < n; j = k++) {
    const [xk, yk, xj, yj] = [outline[2 * k], outline[2 * k + 1], outline[2 * j], outline[2 * j + 1]];
    if (yk > y !== yj > y && x < ((xj - xk) * (y - yk)) / (yj - yk) + xk) {
      inside = !inside;
    }
  }
  return inside;
}

/** Liang-Barsky: whether segment a-b has a point in the rectangle. */
function segmentMeetsRect(ax: number, ay: number, bx: number, by: number, rect: IRect): boolean {
  const dx = bx - ax;
  const dy = by - ay;
  let t0 = 0;
  let t1 = 1;
  for (const [p, q] of [
    [-dx, ax - rect.x0],
    [dx, rect.x1 - ax],
    [-dy, ay - rect.y0],
    [dy, rect.y1 - ay]
  ]) {
    if (p === 0) {
      if (q < 0) {
        return false;
      }
    } else {
      const t = q / p;
      if (p < 0) {
        t0 = Math.max(t0, t);
      } else {
        t1 = Math.min(t1, t);
      }
      if (t0 > t1) {
        return false;
      }
    }
  }
  return true;
}

/** The outline is sampled: a margin of one pixel of the level covers its curvature between samples. */
function grow(rect: IRect, by: number): IRect {
  return { x0: rect.x0 - by, y0: rect.y0 - by, x1: rect.x1 + by, y1: rect.y1 + by };
}
