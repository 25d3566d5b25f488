/**
 * Outlines single image pixels over the canvas (the pixel whose ramp is hovered in the ramp
 * panel). Pixels belong to the current image, which may be rotated against the reference
 * frame, so each outline is the pixel's four corners mapped to the screen, not a square.
 */
const SVG = 'http://www.w3.org/2000/svg';

export class PixelMarker {
  /**
   * `toScreen` maps a point of the current image (0-based pixel coordinates, centres at
   * integers) to CSS pixels of the canvas.
   */
  constructor(
    host: HTMLElement,
    private readonly toScreen: (x: number, y: number) => [number, number]
  ) {
    this.svg = document.createElementNS(SVG, 'svg');
    this.svg.classList.add('jp-RomanPixelMarker');
    host.appendChild(this.svg);
  }

  /** The pixels to outline (x, y of the current image), or none. */
  set(pixels: ReadonlyArray<readonly [number, number]>): void {
    this.pixels = pixels.map(([x, y]) => [x, y] as const);
    this.render();
  }

  get marked(): ReadonlyArray<readonly [number, number]> {
    return this.pixels;
  }

  /** Follows the view (call after every drawn frame). */
  render(): void {
    const host = this.svg.parentElement;
    if (host) {
      this.svg.setAttribute('width', String(host.clientWidth));
      this.svg.setAttribute('height', String(host.clientHeight));
    }
    this.svg.textContent = '';
    for (const [x, y] of this.pixels) {
      const corners = [
        [x - 0.5, y - 0.5],
        [x + 0.5, y - 0.5],
        [x + 0.5, y + 0.5],
        [x - 0.5, y + 0.5]
      ].map(([cx, cy]) => this.toScreen(cx, cy));
      if (corners.some(([sx, sy]) => !Number.isFinite(sx) || !Number.isFinite(sy))) {
        continue;
      }
      const outline = document.createElementNS(SVG, 'polygon');
      outline.setAttribute('points', corners.map(([sx, sy]) => `${sx.toFixed(1)},${sy.toFixed(1)}`).join(' '));
      outline.classList.add('jp-RomanPixelMarker-pixel');
      this.svg.appendChild(outline);
    }
  }

  dispose(): void {
    this.svg.remove();
  }

  private readonly svg: SVGSVGElement;
  private pixels: Array<readonly [number, number]> = [];
}
