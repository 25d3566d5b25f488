/**
 * Alignment of one image's tiles onto a reference image (the blink stack, issue 6).
 *
 * Every image of a stack is drawn in the pixel frame of one reference image (the mosaic or
 * the first exposure). Rather than resampling on the server, each tile (chunk) of an image is
 * drawn on the GPU as a mesh: its vertices sit at the exact sky mapping
 * `from pixel -> sky -> to pixel` (TAN-SIP both ways, float64) and carry the tile's texture
 * coordinates, so the GPU only interpolates linearly inside each triangle. `meshError`
 * measures what that interpolation costs, and `chooseStep` picks the coarsest mesh that
 * stays within a tolerance, so a 512-px tile needs a few dozen vertices, not 262 144.
 *
 * Coordinates are as in tiles.ts / view.ts: continuous 0-based level-0 pixels, pixel centres
 * at integers, so a tile rect has half-integer (pixel-edge) bounds.
 */

import { IRect } from './tiles';
import { mapPixel, TanSipWcs } from './wcs';

/** A tile's mesh, ready for WebGL buffers (draw with gl.TRIANGLES, no face culling). */
export interface IMesh {
  /**
   * Vertex positions (x, y pairs) in the reference image's pixels, minus (ox, oy).
   *
   * Why relative: float32 keeps 24 significant bits, so an absolute coordinate near 4096 px
   * is rounded to 2^-12 px (and near 32768 px in a mosaic to 2^-9 = 0.002 px), a sizeable
   * share of a 0.01 px budget, and the vertex shader's `position - viewCentre` would cancel
   * those bits again. Relative to an origin inside the tile the values stay below ~1000 px
   * (rounding <= 3e-5 px); the renderer computes `origin - viewCentre` in float64 on the
   * CPU and passes that small offset as a uniform, so large numbers never meet in float32.
   */
  positions: Float32Array;
  /** Texture coordinates (u, v) pairs in [0, 1]: u = 0 at rect.x0, v = 0 at rect.y0. */
  uvs: Float32Array;
  /**
   * Triangle vertex indices, two triangles per grid cell, only those whose three vertices
   * all map to finite reference pixels. Uint16 when the vertex count allows (WebGL 1 without
   * OES_element_index_uint), else Uint32.
   */
  indices: Uint16Array | Uint32Array;
  /** The float64 origin (an integer reference pixel) that `positions` are relative to. */
  ox: number;
  oy: number;
  /** Vertex grid size: `columns` vertices along x, `rows` along y, row-major from (x0, y0). */
  columns: number;
  rows: number;
}

/**
 * The vertex coordinates along one axis: every `step` pixels from `a`, with `b` always the
 * last one, so a tile whose size is no multiple of the step (the edge chunks of a 4088-px
 * detector are 504 px wide) still ends exactly on its edge.
 */
function gridLine(a: number, b: number, step: number): number[] {
  const cells = Math.max(1, Math.ceil((b - a) / step - 1e-9));
  const line: number[] = [];
  for (let i = 0; i < cells; i++) {
    line.push(a + i * step);
  }
  line.push(b);
  return line;
}

function checkArguments(rect: IRect, step: number): void {
  if (!(rect.x1 > rect.x0 && rect.y1 > rect.y0)) {
    throw new RangeError(`the tile rectangle is empty: ${JSON.stringify(rect)}`);
  }
  if (!(step > 0 && Number.isFinite(step))) {
    throw new RangeError(`the mesh step must be a positive number of pixels, not ${step}`);
  }
}

/**
 * The mesh that draws the tile of image `from` covering `rect` (level-0 pixel edges) in the
 * pixel frame of the reference image `to`, with a vertex every `step` image pixels (edges
 * included). Each vertex goes through the sky (from.pixelToWorld, to.worldToPixel) in
 * float64. Vertices that have no reference pixel (NaN: the other hemisphere of `to`'s
 * gnomonic projection) are stored as (0, 0) and no triangle uses them, so nothing is drawn
 * stretched across the sky.
 */
export function tileMesh(rect: IRect, from: TanSipWcs, to: TanSipWcs, step: number): IMesh {
  checkArguments(rect, step);
  const xs = gridLine(rect.x0, rect.x1, step);
  const ys = gridLine(rect.y0, rect.y1, step);
  const columns = xs.length;
  const rows = ys.length;
  const count = columns * rows;
  const mapped = new Float64Array(2 * count);
  const finite = new Uint8Array(count);
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < columns; i++) {
      const k = j * columns + i;
      const [x, y] = from === to ? [xs[i], ys[j]] : mapPixel(from, to, xs[i], ys[j]);
      mapped[2 * k] = x;
      mapped[2 * k + 1] = y;
      finite[k] = Number.isFinite(x) && Number.isFinite(y) ? 1 : 0;
    }
  }

  // origin: the tile centre's reference pixel, rounded (exact in float32 too); failing that
  // (centre on the far hemisphere) the first vertex that maps
  const [cx, cy] = [(rect.x0 + rect.x1) / 2, (rect.y0 + rect.y1) / 2];
  let [ox, oy] = from === to ? [cx, cy] : mapPixel(from, to, cx, cy);
  if (!(Number.isFinite(ox) && Number.isFinite(oy))) {
    const k = finite.indexOf(1);
    [ox, oy] = k >= 0 ? [mapped[2 * k], mapped[2 * k + 1]] : [0, 0];
  }
  ox = Math.round(ox);
  oy = Math.round(oy);

  const positions = new Float32Array(2 * count);
  const uvs = new Float32Array(2 * count);
  const width = rect.x1 - rect.x0;
  const height = rect.y1 - rect.y0;
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < columns; i++) {
      const k = j * columns + i;
      if (finite[k]) {
        positions[2 * k] = mapped[2 * k] - ox;
        positions[2 * k + 1] = mapped[2 * k + 1] - oy;
      }
      uvs[2 * k] = (xs[i] - rect.x0) / width;
      uvs[2 * k + 1] = (ys[j] - rect.y0) / height;
    }
  }

  // each cell (a b / c d with a at the low x, low y corner) as triangles (a, b, d), (a, d, c)
  const triangles: number[] = [];
  for (let j = 0; j + 1 < rows; j++) {
    for (let i = 0; i + 1 < columns; i++) {
      const a = j * columns + i;
      const b = a + 1;
      const c = a + columns;
      const d = c + 1;
      if (finite[a] && finite[d]) {
        if (finite[b]) {
          triangles.push(a, b, d);
        }
        if (finite[c]) {
          triangles.push(a, d, c);
        }
      }
    }
  }
  const indices = count <= 65536 ? Uint16Array.from(triangles) : Uint32Array.from(triangles);
  return { positions, uvs, indices, ox, oy, columns, rows };
}

/**
 * The worst distance, in reference pixels, between where the GPU puts a point of the tile
 * and where the exact TAN-SIP mapping puts it, over `samples` + 1 points per triangle edge
 * (a barycentric lattice, vertices and edges included) of every drawn triangle.
 *
 * This models the GPU: positions and texture coordinates are interpolated linearly over
 * each triangle (not bilinearly over the cell, which no rasteriser does), from the very
 * float32 buffers tileMesh returns plus the float64 origin. A sample's image point comes
 * from the interpolated uv, its reference point from the interpolated position, and the
 * distance to the exact image of that image point is the alignment error. Infinity when a
 * drawn triangle contains a point that does not map (only possible near `to`'s horizon).
 */
export function meshError(rect: IRect, from: TanSipWcs, to: TanSipWcs, step: number, samples = 8): number {
  const mesh = tileMesh(rect, from, to, step);
  const { positions: pos, uvs, indices, ox, oy } = mesh;
  const n = Math.max(1, Math.round(samples));
  const width = rect.x1 - rect.x0;
  const height = rect.y1 - rect.y0;
  let worst = 0;
  for (let t = 0; t < indices.length; t += 3) {
    const [a, b, c] = [indices[t], indices[t + 1], indices[t + 2]];
    for (let i = 0; i <= n; i++) {
      for (let j = 0; j <= n - i; j++) {
        const wb = i / n;
        const wc = j / n;
        const wa = 1 - wb - wc;
        const u = wa * uvs[2 * a] + wb * uvs[2 * b] + wc * uvs[2 * c];
        const v = wa * uvs[2 * a + 1] + wb * uvs[2 * b + 1] + wc * uvs[2 * c + 1];
        const px = ox + wa * pos[2 * a] + wb * pos[2 * b] + wc * pos[2 * c];
        const py = oy + wa * pos[2 * a + 1] + wb * pos[2 * b + 1] + wc * pos[2 * c + 1];
        const x = rect.x0 + u * width;
        const y = rect.y0 + v * height;
        const [ex, ey] = from === to ? [x, y] : mapPixel(from, to, x, y);
        const distance = Math.hypot(px - ex, py - ey);
        if (!Number.isFinite(distance)) {
          return Infinity;
        }
        worst = Math.max(worst, distance);
      }
    }
  }
  return worst;
}

/**
 * The coarsest mesh step that aligns the tile within `tolerancePx` reference pixels: the
 * largest power of two from the tile's size (one cell) down to 8 whose meshError is below
 * the tolerance. Coarse first because the smooth TAN-SIP maps of one detector usually need
 * only a few cells, and it stops at the first success. If even step 8 misses the tolerance
 * (a map far from smooth, e.g. near the horizon), returns 8, the finest mesh offered; the
 * caller may check meshError for that step.
 */
export function chooseStep(rect: IRect, from: TanSipWcs, to: TanSipWcs, tolerancePx = 0.01): number {
  checkArguments(rect, 1);
  const size = Math.max(rect.x1 - rect.x0, rect.y1 - rect.y0);
  let step = Math.max(8, 2 ** Math.ceil(Math.log2(size) - 1e-9));
  for (; step > 8; step /= 2) {
    if (meshError(rect, from, to, step) < tolerancePx) {
      return step;
    }
  }
  return 8;
}
