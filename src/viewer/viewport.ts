/**
 * Where a canvas looks in the pixel frame of the reference image: the centre (reference
 * pixels) and the zoom (device pixels per reference pixel), kept within bounds, and the
 * mapping between the canvas's CSS pixels and reference pixels (math/view.ts).
 */
import * as geometry from './math/view';

const MAX_ZOOM = 64;

export class Viewport {
  constructor(
    private readonly canvas: HTMLCanvasElement,
    /** Rows, columns of the reference image (null: no image yet). */
    private readonly shape: () => [number, number] | null,
    /** The view moved or the canvas was resized: draw. */
    private readonly changed: () => void
  ) {}

  get centerX(): number {
    return this.cx;
  }

  get centerY(): number {
    return this.cy;
  }

  get zoom(): number {
    return this.z;
  }

  set(centerX: number, centerY: number, zoom: number): void {
    this.cx = centerX;
    this.cy = centerY;
    this.z = Math.min(MAX_ZOOM * devicePixelRatio, Math.max(this.minZoom(), zoom));
    this.changed();
  }

  /** The whole reference image in the canvas. */
  fit(): void {
    const shape = this.shape();
    if (!shape) {
      return;
    }
    const fitted = geometry.fitView(this.geometry, shape);
    this.set(fitted.cx, fitted.cy, fitted.zoom * fitted.dpr);
  }

  /** Zooms by `factor` keeping the point under (cssX, cssY) fixed. */
  zoomAt(factor: number, cssX: number, cssY: number): void {
    const here = this.geometry;
    const clamped = Math.min(MAX_ZOOM * here.dpr, Math.max(this.minZoom(), this.z * factor)) / this.z;
    const next = geometry.zoomAt(here, clamped, cssX, cssY);
    this.set(next.cx, next.cy, next.zoom * next.dpr);
  }

  /** The view in the shared geometry's terms (CSS pixels; math/view.ts). */
  get geometry(): geometry.IView {
    const dpr = devicePixelRatio;
    return {
      width: this.canvas.width / dpr,
      height: this.canvas.height / dpr,
      dpr,
      cx: this.cx,
      cy: this.cy,
      zoom: this.z / dpr
    };
  }

  /** What the chunks of a view depend on: centre, zoom and canvas size. */
  get key(): string {
    return `${this.cx},${this.cy},${this.z},${this.canvas.width},${this.canvas.height}`;
  }

  /** Sizes the canvas to its host in device pixels. */
  resize(host: HTMLElement): void {
    const dpr = devicePixelRatio;
    const rect = host.getBoundingClientRect();
    const width = Math.max(1, Math.round(rect.width * dpr));
    const height = Math.max(1, Math.round(rect.height * dpr));
    if (width !== this.canvas.width || height !== this.canvas.height) {
      this.canvas.width = width;
      this.canvas.height = height;
      this.canvas.style.width = `${rect.width}px`;
      this.canvas.style.height = `${rect.height}px`;
      this.changed();
    }
  }

  private minZoom(): number {
    const shape = this.shape();
    if (!shape) {
      return 1e-3;
    }
    return Math.min(this.canvas.width / shape[1], this.canvas.height / shape[0]) / 4;
  }

  private cx = 0;
  private cy = 0;
  private z = 1;
}
