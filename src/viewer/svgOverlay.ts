/**
 * An SVG layer over a view's canvas (appended to its host): outlines and markers drawn in
 * CSS pixels of the canvas, redrawn by `render()` after every frame.
 */
export const SVG_NS = 'http://www.w3.org/2000/svg';

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
    this.svg = document.createElementNS(SVG_NS, 'svg');
    this.svg.classList.add(className);
    host.appendChild(this.svg);
  }

  /** Follows the view (call after every drawn frame). */
  abstract render(): void;

  dispose(): void {
    this.svg.remove();
  }

  protected readonly svg: SVGSVGElement;
}
