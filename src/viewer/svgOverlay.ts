/**
 * An SVG layer over a view's canvas (appended to its host): outlines and markers drawn in
 * CSS pixels of the canvas, redrawn by `render()` after every frame.
 */
export const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * An SVG element covering `host` (positioned) whatever its size and whenever it changes: a
 * size copied from the layout at render time went stale (0 x 0, which SVG does not render at
 * all) when JupyterLab's theme changed while the view stood still.
 */
export function overlaySvg(host: HTMLElement, className: string): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('width', '100%');
  svg.setAttribute('height', '100%');
  svg.classList.add(className);
  host.appendChild(svg);
  return svg;
}

export abstract class SvgOverlay {
  /**
   * `toScreen` maps a point of the layer's image frame (0-based pixel coordinates, centres at
   * integers) to CSS pixels of the canvas.
   */
  constructor(
    host: HTMLElement,
    className: string,
    protected readonly toScreen: (x: number, y: number) => [number, number]
  ) {
    this.svg = overlaySvg(host, className);
  }

  /** Follows the view (call after every drawn frame). */
  abstract render(): void;

  dispose(): void {
    this.svg.remove();
  }

  protected readonly svg: SVGSVGElement;
}
