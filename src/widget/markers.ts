/**
 * Catalog markers (the image display API's `load_catalog`): one SVG path per catalog over
 * the canvas, following pan and zoom. Points are projected once into reference pixels (sky
 * points through the reference WCS, pixel points through their frame image), then each
 * frame only maps them to the screen and keeps those in view.
 */
import { SVG_NS, SvgOverlay } from '../viewer/svgOverlay';
import type { ImageView } from '../viewer/view';

export type MarkerShape = 'circle' | 'square' | 'crosshair' | 'plus' | 'diamond';

export const MARKER_SHAPES: readonly MarkerShape[] = ['circle', 'square', 'crosshair', 'plus', 'diamond'];

export interface ICatalogValue {
  points: Array<{ ra: number; dec: number } | { x: number; y: number }>;
  style: { marker: string; color: string; size: number };
  frame: string | null;
}

/** Whether a shape is drawn filled-less with a stroke only (all are) and closed (not the crosses). */
export function isClosed(shape: MarkerShape): boolean {
  return shape !== 'plus' && shape !== 'crosshair';
}

function n(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/**
 * The SVG path commands of one marker centred on (x, y) CSS px; `size` is the half-width
 * (the circle's radius). A crosshair is a plus with its centre left open.
 */
export function markerPath(shape: MarkerShape, x: number, y: number, size: number): string {
  const s = Math.max(0.5, size);
  switch (shape) {
    case 'circle':
      return `M${n(x + s)} ${n(y)}A${n(s)} ${n(s)} 0 1 0 ${n(x - s)} ${n(y)}A${n(s)} ${n(s)} 0 1 0 ${n(x + s)} ${n(y)}Z`;
    case 'square':
      return `M${n(x - s)} ${n(y - s)}H${n(x + s)}V${n(y + s)}H${n(x - s)}Z`;
    case 'diamond':
      return `M${n(x)} ${n(y - s)}L${n(x + s)} ${n(y)}L${n(x)} ${n(y + s)}L${n(x - s)} ${n(y)}Z`;
    case 'plus':
      return `M${n(x - s)} ${n(y)}H${n(x + s)}M${n(x)} ${n(y - s)}V${n(y + s)}`;
    case 'crosshair': {
      const g = s / 3;
      return (
        `M${n(x - s)} ${n(y)}H${n(x - g)}M${n(x + g)} ${n(y)}H${n(x + s)}` +
        `M${n(x)} ${n(y - s)}V${n(y - g)}M${n(x)} ${n(y + g)}V${n(y + s)}`
      );
    }
  }
}

/** A known shape, else the circle (Python validates; this only guards the drawing). */
export function markerShape(name: string): MarkerShape {
  return (MARKER_SHAPES as readonly string[]).includes(name) ? (name as MarkerShape) : 'circle';
}

/**
 * The path of all markers whose centre is within `width` x `height` (CSS px, plus the
 * marker size): `toScreen` maps a reference pixel to CSS px.
 */
export function catalogPath(
  points: ArrayLike<number>,
  shape: MarkerShape,
  size: number,
  toScreen: (x: number, y: number) => [number, number],
  width: number,
  height: number
): { d: string; shown: number } {
  const parts: string[] = [];
  for (let i = 0; i + 1 < points.length; i += 2) {
    const [sx, sy] = toScreen(points[i], points[i + 1]);
    if (sx >= -size && sy >= -size && sx <= width + size && sy <= height + size) {
      parts.push(markerPath(shape, sx, sy, size));
    }
  }
  return { d: parts.join(''), shown: parts.length };
}

/**
 * Reference pixels of a catalog's points as [x0, y0, x1, y1, ...]: sky points through
 * `skyToReference`, pixel points through `pixelToReference` (null: the frame image is not
 * there, or no WCS; such points are left out).
 */
export function projectCatalog(
  catalog: ICatalogValue,
  skyToReference: ((ra: number, dec: number) => [number, number]) | null,
  pixelToReference: ((x: number, y: number) => [number, number]) | null
): Float64Array {
  const out: number[] = [];
  for (const point of catalog.points) {
    let xy: [number, number] | null = null;
    if ('ra' in point) {
      xy = skyToReference ? skyToReference(point.ra, point.dec) : null;
    } else {
      xy = pixelToReference ? pixelToReference(point.x, point.y) : null;
    }
    if (xy && Number.isFinite(xy[0]) && Number.isFinite(xy[1])) {
      out.push(xy[0], xy[1]);
    }
  }
  return new Float64Array(out);
}

/** The SVG layer: one `<path>` per catalog, redrawn by `render()` after every frame. */
export class MarkerLayer extends SvgOverlay {
  /** `toScreen` maps a reference pixel to CSS pixels of the canvas. */
  constructor(host: HTMLElement, toScreen: (x: number, y: number) => [number, number]) {
    super(host, 'roman-widget-markers', toScreen);
  }

  /**
   * Shows the catalogs on a view, in its reference frame: sky positions through the
   * reference's WCS, pixel positions of another image (`frame`) through both WCSs.
   * Returns how many markers they hold.
   */
  showCatalogs(view: ImageView, catalogs: Record<string, ICatalogValue>): number {
    const reference = view.reference;
    const wcs = reference ? view.wcsOf(reference) : null;
    const sky = wcs ? (ra: number, dec: number) => wcs.worldToPixel(ra, dec) : null;
    const layers = Object.entries(catalogs).map(([label, catalog]) => {
      const frameId = catalog.frame ?? reference?.id ?? null;
      const frame = view.images.find(image => image.id === frameId) ?? null;
      const pixel = frame ? (x: number, y: number) => view.toReference(frame, x, y) : null;
      return { label, points: reference ? projectCatalog(catalog, sky, pixel) : new Float64Array(0), style: catalog.style };
    });
    this.set(layers);
    return layers.reduce((n, layer) => n + layer.points.length / 2, 0);
  }

  /** Sets the catalogs with their points already in reference pixels. */
  set(catalogs: Array<{ label: string; points: Float64Array; style: ICatalogValue['style'] }>): void {
    this.catalogs = catalogs;
    this.render();
  }

  /** How many markers the last render drew (all catalogs). */
  get shown(): number {
    return this.shownCount;
  }

  render(): void {
    // the view's size in CSS px: markers outside it are not drawn
    const { width, height } = this.svg.parentElement?.getBoundingClientRect() ?? { width: 0, height: 0 };
    while (this.svg.childNodes.length > this.catalogs.length) {
      this.svg.lastChild!.remove();
    }
    let shown = 0;
    this.catalogs.forEach((catalog, i) => {
      let path = this.svg.childNodes[i] as SVGPathElement | undefined;
      if (!path) {
        path = document.createElementNS(SVG_NS, 'path');
        this.svg.appendChild(path);
      }
      const shape = markerShape(catalog.style.marker);
      const result = catalogPath(catalog.points, shape, catalog.style.size, this.toScreen, width, height);
      shown += result.shown;
      path.setAttribute('d', result.d);
      path.setAttribute('stroke', catalog.style.color);
      path.setAttribute('data-label', catalog.label);
      path.setAttribute('data-shown', String(result.shown));
    });
    this.shownCount = shown;
    this.svg.dataset.shown = String(shown);
  }

  private catalogs: Array<{ label: string; points: Float64Array; style: ICatalogValue['style'] }> = [];
  private shownCount = 0;
}
