/**
 * The circle's pixels as a small image: each cell coloured by the pixel's strongest
 * normalised difference (grey below the threshold, viridis above), pixels with jumps outlined
 * in their jump colour, and a colour bar with the threshold marked. Hovering a cell reports
 * its pixel so the panel can emphasise that ramp.
 */
import { IRampColours } from './chart';
import { cellOrigin, cssColour, gridLayout, IGridLayout, pixelAtPoint, scaleMax, significanceColour } from './grid';
import { PixelClass } from './jumps';

export interface IRampGridState {
  threshold: number;
  classes: Uint8Array;
  emphasised: number | null;
}

/** Square grid area, CSS px; the colour bar sits below it. */
const GRID_SIZE = 200;
const BAR_HEIGHT = 10;
const BAR_AREA = 30;

export class RampGridView {
  readonly node: HTMLCanvasElement;

  constructor(
    private readonly colours: () => IRampColours,
    private readonly onHover: (pixel: number | null) => void
  ) {
    this.node = document.createElement('canvas');
    this.node.className = 'jp-RomanRampPanel-grid';
    this.node.style.width = `${GRID_SIZE}px`;
    this.node.style.height = `${GRID_SIZE + BAR_AREA}px`;
    this.node.addEventListener('pointermove', this.onPointerMove);
    this.node.addEventListener('pointerleave', this.onPointerLeave);
  }

  setData(pixels: ReadonlyArray<readonly [number, number]>, strongest: Float64Array): void {
    this.pixels = pixels;
    this.strongest = strongest;
    this.layout = gridLayout(pixels, GRID_SIZE, GRID_SIZE);
    this.hovered = null;
  }

  setState(state: IRampGridState): void {
    this.state = state;
    this.draw();
  }

  draw(): void {
    const dpr = window.devicePixelRatio || 1;
    const canvas = this.node;
    canvas.width = Math.round(GRID_SIZE * dpr);
    canvas.height = Math.round((GRID_SIZE + BAR_AREA) * dpr);
    const ctx = canvas.getContext('2d');
    if (!ctx || !this.layout) {
      return;
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const colours = this.colours();
    const { threshold, classes, emphasised } = this.state;
    const top = scaleMax(this.strongest, threshold);
    const cell = this.layout.cell;
    this.pixels.forEach(([x, y], i) => {
      const [cx, cy] = cellOrigin(this.layout!, x, y);
      ctx.fillStyle = cssColour(significanceColour(this.strongest[i], threshold, top));
      ctx.fillRect(cx, cy, cell, cell);
    });
    // Outlines straddle the cell's edge so they stay visible on cells a few pixels wide.
    const outline = (i: number, colour: string, width: number): void => {
      const [cx, cy] = cellOrigin(this.layout!, this.pixels[i][0], this.pixels[i][1]);
      ctx.strokeStyle = colour;
      ctx.lineWidth = width;
      ctx.strokeRect(cx, cy, cell, cell);
    };
    const edge = cell < 8 ? 1.5 : 2;
    classes.forEach((cls, i) => {
      if (cls === PixelClass.Flagged || cls === PixelClass.Unflagged) {
        outline(i, cls === PixelClass.Flagged ? colours.flagged : colours.unflagged, edge);
      }
    });
    if (emphasised !== null && emphasised < this.pixels.length) {
      outline(emphasised, colours.axis, Math.max(edge, 2));
    }
    this.drawBar(ctx, colours, threshold, top);
  }

  dispose(): void {
    this.node.removeEventListener('pointermove', this.onPointerMove);
    this.node.removeEventListener('pointerleave', this.onPointerLeave);
    this.node.remove();
  }

  /** Colour bar 0 .. top with the threshold tick, labelled in sigma. */
  private drawBar(ctx: CanvasRenderingContext2D, colours: IRampColours, threshold: number, top: number): void {
    const y0 = GRID_SIZE + 4;
    const x0 = 8;
    const width = GRID_SIZE - 16;
    for (let p = 0; p < width; p++) {
      ctx.fillStyle = cssColour(significanceColour((p / (width - 1)) * top, threshold, top));
      ctx.fillRect(x0 + p, y0, 1, BAR_HEIGHT);
    }
    const at = x0 + (threshold / top) * width;
    ctx.fillStyle = colours.axis;
    ctx.fillRect(Math.round(at) - 1, y0 - 2, 2, BAR_HEIGHT + 4);
    ctx.font = `10px ${colours.font}`;
    ctx.textBaseline = 'top';
    const labelY = y0 + BAR_HEIGHT + 3;
    ctx.textAlign = 'left';
    ctx.fillText('0', x0, labelY);
    ctx.textAlign = 'center';
    ctx.fillText(`${threshold.toFixed(1)}σ`, at, labelY);
    ctx.textAlign = 'right';
    if (top - threshold > 0.25 * top) {
      ctx.fillText(`${top.toFixed(1)}σ`, x0 + width, labelY);
    }
  }

  private readonly onPointerMove = (event: PointerEvent): void => {
    if (!this.layout) {
      return;
    }
    const rect = this.node.getBoundingClientRect();
    this.hover(pixelAtPoint(this.layout, event.clientX - rect.left, event.clientY - rect.top));
  };

  private readonly onPointerLeave = (): void => this.hover(null);

  private hover(pixel: number | null): void {
    if (pixel !== this.hovered) {
      this.hovered = pixel;
      this.onHover(pixel);
    }
  }

  private pixels: ReadonlyArray<readonly [number, number]> = [];
  private strongest: Float64Array = new Float64Array(0);
  private layout: IGridLayout | null = null;
  private state: IRampGridState = { threshold: 1, classes: new Uint8Array(0), emphasised: null };
  private hovered: number | null = null;
}
