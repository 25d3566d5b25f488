/**
 * Geometry and colours of the pixel grid: the circle's pixels laid out as on the image
 * (row 0 at the bottom, as the viewer and ds9 show it), each coloured by its strongest
 * normalised difference so the one odd pixel stands out before reading any ramp.
 */
import { colormapRGB, lutIndex } from '../math/colormap';

export interface IGridLayout {
  /** Image pixel of the bottom-left cell. */
  x0: number;
  y0: number;
  cols: number;
  rows: number;
  /** Cell size, CSS px. */
  cell: number;
  /** Offset of the grid inside the canvas (centred), CSS px. */
  left: number;
  top: number;
  /** Pixel index at `row * cols + col` (row 0 = lowest y), -1 where no pixel. */
  lookup: Int32Array;
}

/** Lay out pixels (integer image x, y) in a width x height CSS-px box, cells square and at most `maxCell`. */
export function gridLayout(
  pixels: ReadonlyArray<readonly [number, number]>,
  width: number,
  height: number,
  maxCell = 24
): IGridLayout {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y] of pixels) {
    x0 = Math.min(x0, Math.round(x));
    y0 = Math.min(y0, Math.round(y));
    x1 = Math.max(x1, Math.round(x));
    y1 = Math.max(y1, Math.round(y));
  }
  if (!pixels.length) {
    x0 = y0 = 0;
    x1 = y1 = -1;
  }
  const cols = x1 - x0 + 1;
  const rows = y1 - y0 + 1;
  const cell = cols > 0 ? Math.max(1, Math.min(maxCell, Math.floor(Math.min(width / cols, height / rows)))) : maxCell;
  const lookup = new Int32Array(Math.max(0, cols * rows)).fill(-1);
  pixels.forEach(([x, y], i) => {
    lookup[(Math.round(y) - y0) * cols + (Math.round(x) - x0)] = i;
  });
  return {
    x0,
    y0,
    cols,
    rows,
    cell,
    left: Math.floor((width - cols * cell) / 2),
    top: Math.floor((height - rows * cell) / 2),
    lookup
  };
}

/** Top-left corner (CSS px) of the cell of image pixel (x, y). */
export function cellOrigin(layout: IGridLayout, x: number, y: number): [number, number] {
  const col = Math.round(x) - layout.x0;
  const row = Math.round(y) - layout.y0;
  return [layout.left + col * layout.cell, layout.top + (layout.rows - 1 - row) * layout.cell];
}

/** The pixel index under a CSS-px point of the grid canvas, or null. */
export function pixelAtPoint(layout: IGridLayout, px: number, py: number): number | null {
  const col = Math.floor((px - layout.left) / layout.cell);
  const rowFromTop = Math.floor((py - layout.top) / layout.cell);
  if (col < 0 || col >= layout.cols || rowFromTop < 0 || rowFromTop >= layout.rows) {
    return null;
  }
  const i = layout.lookup[(layout.rows - 1 - rowFromTop) * layout.cols + col];
  return i < 0 ? null : i;
}

/** Top of the colour scale: the strongest pixel, but never so low that the threshold sits at the top. */
export function scaleMax(strongest: ArrayLike<number>, threshold: number): number {
  let top = threshold * 1.5;
  for (let i = 0; i < strongest.length; i++) {
    if (Number.isFinite(strongest[i])) {
      top = Math.max(top, strongest[i]);
    }
  }
  return top;
}

/** Grey levels (0-255) for significances from 0 to the threshold: quiet, theme-neutral. */
const GREY_FROM = 64;
const GREY_TO = 150;

/**
 * The colour of a significance: a grey ramp from 0 to the threshold (negative: the quietest
 * grey, a dip is no jump), viridis from the threshold to `top`, so the threshold is the edge
 * between grey and colour.
 */
export function significanceColour(value: number, threshold: number, top: number): [number, number, number] {
  if (!Number.isFinite(value)) {
    return [GREY_FROM, GREY_FROM, GREY_FROM];
  }
  const v = Math.max(0, value);
  if (v < threshold) {
    const g = Math.round(GREY_FROM + ((GREY_TO - GREY_FROM) * v) / threshold);
    return [g, g, g];
  }
  const t = top > threshold ? Math.min(1, (v - threshold) / (top - threshold)) : 1;
  const rgb = colormapRGB('viridis');
  const at = 3 * lutIndex(t);
  return [rgb[at], rgb[at + 1], rgb[at + 2]];
}

export function cssColour([r, g, b]: readonly [number, number, number]): string {
  return `rgb(${r}, ${g}, ${b})`;
}
