/**
 * Outlines single image pixels over the canvas (the pixel whose ramp is hovered in the ramp
 * panel). Pixels belong to the current image, which may be rotated against the reference
 * frame, so each outline is the pixel's four corners mapped to the screen, not a square.
 */
import { SVG_NS, SvgOverlay } from './svgOverlay';

export class PixelMarker extends SvgOverlay {
  /** `toScreen` maps a point of the current image to CSS pixels of the canvas. */
  constructor(host: HTMLElement, toScreen: (x: number, y: number) => [number, number]) {
    super(host, 'jp-RomanPixelMarker', toScreen);
  }

  /** The pixels to outline (x, y of the current image), or none. */
  set(pixels: ReadonlyArray<readonly [number, number]>): void {
    this.pixels = pixels.map(([x, y]) => [x, y] as const);
    this.render();
  }

  get marked(): ReadonlyArray<readonly [number, number]> {
    return this.pixels;
  }

  render(): void {
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
      const outline = document.createElementNS(SVG_NS, 'polygon');
      outline.setAttribute('points', corners.map(([sx, sy]) => `${sx.toFixed(1)},${sy.toFixed(1)}`).join(' '));
      outline.classList.add('jp-RomanPixelMarker-pixel');
      this.svg.appendChild(outline);
    }
  }

  private pixels: Array<readonly [number, number]> = [];
}
