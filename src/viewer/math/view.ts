/**
 * Where things are on the screen: screen <-> image <-> sky for the status line, the circle
 * tool and pan/zoom.
 *
 * Orientation (FITS / ds9 / Imviz): image row 0 is at the BOTTOM of the canvas and x grows
 * to the right, so north is up for an unrotated north-up image. Image coordinates are
 * 0-based level-0 pixels with pixel centres at integers (astropy's origin 0): pixel (col, row)
 * covers [col - 0.5, col + 0.5] x [row - 0.5, row + 0.5]. Screen coordinates are CSS pixels
 * from the canvas' top-left corner, y down, as in pointer events.
 */

import { formatDec, formatRA } from './sexagesimal';
import { TanSipWcs } from './wcs';

/** The view of one canvas. */
export interface IView {
  /** Canvas size in CSS pixels. */
  width: number;
  height: number;
  /** window.devicePixelRatio: device pixels per CSS pixel. */
  dpr: number;
  /** The image point at the canvas centre, in level-0 image pixels. */
  cx: number;
  cy: number;
  /** Zoom: CSS pixels per level-0 image pixel. */
  zoom: number;
}

/** Image (x, y) under the screen point (sx, sy). */
export function screenToImage(view: IView, sx: number, sy: number): [number, number] {
  return [view.cx + (sx - view.width / 2) / view.zoom, view.cy - (sy - view.height / 2) / view.zoom];
}

/** Screen (sx, sy) of the image point (x, y). */
export function imageToScreen(view: IView, x: number, y: number): [number, number] {
  return [view.width / 2 + (x - view.cx) * view.zoom, view.height / 2 - (y - view.cy) * view.zoom];
}

/** The view zoomed by `factor` about the screen point (sx, sy), which keeps its image point. */
export function zoomAt(view: IView, factor: number, sx: number, sy: number): IView {
  const [x, y] = screenToImage(view, sx, sy);
  const zoom = view.zoom * factor;
  return {
    ...view,
    zoom,
    cx: x - (sx - view.width / 2) / zoom,
    cy: y + (sy - view.height / 2) / zoom
  };
}

/** The view that shows a whole image of shape [ny, nx], centred. */
export function fitView(view: IView, shape: readonly [number, number]): IView {
  const [ny, nx] = shape;
  return { ...view, zoom: Math.min(view.width / nx, view.height / ny), cx: (nx - 1) / 2, cy: (ny - 1) / 2 };
}

/** What the status line shows for the pointer at (sx, sy). */
export interface IPointerInfo {
  /** Continuous image coordinates. */
  x: number;
  y: number;
  /** The pixel (integer column and row) under the pointer. */
  col: number;
  row: number;
  /** Whether that pixel is inside the image. */
  inside: boolean;
  /** Sky position in degrees and as text, when a WCS is given. */
  ra?: number;
  dec?: number;
  raText?: string;
  decText?: string;
}

export function pointerInfo(
  view: IView,
  sx: number,
  sy: number,
  shape: readonly [number, number],
  wcs?: TanSipWcs
): IPointerInfo {
  const [x, y] = screenToImage(view, sx, sy);
  const col = Math.floor(x + 0.5);
  const row = Math.floor(y + 0.5);
  const info: IPointerInfo = { x, y, col, row, inside: col >= 0 && row >= 0 && col < shape[1] && row < shape[0] };
  if (wcs) {
    const [ra, dec] = wcs.pixelToWorld(x, y);
    Object.assign(info, { ra, dec, raText: formatRA(ra), decText: formatDec(dec) });
  }
  return info;
}

/** Screen point of a sky position (NaN when it is not on the projection's hemisphere). */
export function worldToScreen(view: IView, wcs: TanSipWcs, ra: number, dec: number): [number, number] {
  const [x, y] = wcs.worldToPixel(ra, dec);
  return imageToScreen(view, x, y);
}

/** Sky position (degrees) of a screen point. */
export function screenToWorld(view: IView, wcs: TanSipWcs, sx: number, sy: number): [number, number] {
  const [x, y] = screenToImage(view, sx, sy);
  return wcs.pixelToWorld(x, y);
}

/** A circle on the sky and its screen centre and radius (CSS px), for the circle tool. */
export function circleToScreen(
  view: IView,
  wcs: TanSipWcs,
  circle: { ra: number; dec: number; radiusArcsec: number }
): { sx: number; sy: number; r: number } {
  const [x, y] = wcs.worldToPixel(circle.ra, circle.dec);
  const [sx, sy] = imageToScreen(view, x, y);
  return { sx, sy, r: (circle.radiusArcsec / wcs.pixelScaleAt(x, y)) * view.zoom };
}

/** The sky circle drawn on screen at (sx, sy) with radius r CSS px. */
export function circleFromScreen(
  view: IView,
  wcs: TanSipWcs,
  sx: number,
  sy: number,
  r: number
): { ra: number; dec: number; radiusArcsec: number } {
  const [x, y] = screenToImage(view, sx, sy);
  const [ra, dec] = wcs.pixelToWorld(x, y);
  return { ra, dec, radiusArcsec: (r / view.zoom) * wcs.pixelScaleAt(x, y) };
}
