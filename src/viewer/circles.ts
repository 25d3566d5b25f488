/**
 * Circles drawn on the image: an SVG layer over the canvas that follows pan and zoom.
 * Drag on empty sky (circle tool) draws one; drag inside moves it, drag its rim resizes
 * it, Delete removes the selected one. Circles live in level-0 image pixels here; the
 * sky coordinates are the WCS's business (`ICircle` carries both once known).
 */

import { overlaySvg } from './svgOverlay';

export interface ICircle {
  id: number;
  /** Centre and radius in level-0 image pixels. */
  x: number;
  y: number;
  r: number;
}

export interface ICircleHost {
  /** The element the layer sits in (positioned), and the canvas it covers. */
  readonly host: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  screenToImage(cssX: number, cssY: number): [number, number];
  imageToScreen(x: number, y: number): [number, number];
  /** Device pixels per image pixel. */
  readonly view: { zoom: number };
}

/** Rim grab width, CSS px. */
const RIM = 6;
/** Smallest circle drawn by a drag, CSS px (a click is not a circle). */
const MIN_RADIUS = 3;

export class CircleLayer {
  /** 'circle': dragging on empty image draws; 'pan': it pans (circles stay editable). */
  tool: 'pan' | 'circle' = 'pan';

  constructor(
    private readonly target: ICircleHost,
    private readonly onChange: (circles: ICircle[], selected: number | null) => void,
    /** Whether Delete / Backspace on the canvas delete the selected circle (a host may bind a command instead). */
    keys = true
  ) {
    this.svg = overlaySvg(target.host, 'jp-RomanCircles');
    target.host.addEventListener('pointerdown', this.onPointerDown, { capture: true });
    target.host.addEventListener('pointermove', this.onPointerMove, { capture: true });
    target.host.addEventListener('pointerup', this.onPointerUp, { capture: true });
    if (keys) {
      target.canvas.addEventListener('keydown', this.onKeyDown);
    }
  }

  get circles(): ICircle[] {
    return this.items.map(c => ({ ...c }));
  }

  get selected(): number | null {
    return this.selectedId;
  }

  add(x: number, y: number, r: number): ICircle {
    const circle = { id: this.nextId++, x, y, r };
    this.items.push(circle);
    this.select(circle.id);
    return circle;
  }

  update(id: number, change: Partial<Omit<ICircle, 'id'>>): void {
    const circle = this.items.find(c => c.id === id);
    if (circle) {
      Object.assign(circle, change);
      this.changed();
    }
  }

  remove(id: number): void {
    this.items = this.items.filter(c => c.id !== id);
    if (this.selectedId === id) {
      this.selectedId = this.items.length ? this.items[this.items.length - 1].id : null;
    }
    this.changed();
  }

  select(id: number | null): void {
    this.selectedId = id;
    this.changed();
  }

  /** Redraws after the view moved (called by the view on every frame that changed it). */
  render(): void {
    const zoomCss = this.target.view.zoom / devicePixelRatio;
    const nodes: string[] = [];
    for (const c of this.items) {
      const [sx, sy] = this.target.imageToScreen(c.x, c.y);
      const selected = c.id === this.selectedId;
      nodes.push(
        `<circle data-id="${c.id}" cx="${sx}" cy="${sy}" r="${c.r * zoomCss}" class="jp-RomanCircle${selected ? ' jp-mod-selected' : ''}"/>`
      );
      if (selected) {
        nodes.push(`<circle cx="${sx}" cy="${sy}" r="2" class="jp-RomanCircle-centre"/>`);
      }
    }
    this.svg.innerHTML = nodes.join('');
  }

  dispose(): void {
    this.target.host.removeEventListener('pointerdown', this.onPointerDown, { capture: true });
    this.target.host.removeEventListener('pointermove', this.onPointerMove, { capture: true });
    this.target.host.removeEventListener('pointerup', this.onPointerUp, { capture: true });
    this.target.canvas.removeEventListener('keydown', this.onKeyDown);
    this.svg.remove();
  }

  private changed(): void {
    this.render();
    this.onChange(this.circles, this.selectedId);
  }

  /** The circle under a CSS point and whether the point is on its rim. */
  private hit(cssX: number, cssY: number): { circle: ICircle; rim: boolean } | null {
    const zoomCss = this.target.view.zoom / devicePixelRatio;
    for (const circle of [...this.items].reverse()) {
      const [sx, sy] = this.target.imageToScreen(circle.x, circle.y);
      const d = Math.hypot(cssX - sx, cssY - sy);
      const r = circle.r * zoomCss;
      if (Math.abs(d - r) <= RIM) {
        return { circle, rim: true };
      }
      if (d < r) {
        return { circle, rim: false };
      }
    }
    return null;
  }

  private local(event: PointerEvent): [number, number] {
    const rect = this.target.canvas.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  }

  private readonly onPointerDown = (event: PointerEvent): void => {
    if (event.button !== 0) {
      return;
    }
    const [cx, cy] = this.local(event);
    const hit = this.hit(cx, cy);
    const [ix, iy] = this.target.screenToImage(cx, cy);
    if (hit) {
      this.select(hit.circle.id);
      this.drag = hit.rim
        ? { kind: 'resize', id: hit.circle.id, startX: ix, startY: iy, x0: hit.circle.x, y0: hit.circle.y }
        : { kind: 'move', id: hit.circle.id, startX: ix, startY: iy, x0: hit.circle.x, y0: hit.circle.y };
    } else if (this.tool === 'circle') {
      const circle = this.add(ix, iy, 0);
      this.drag = { kind: 'draw', id: circle.id, startX: ix, startY: iy, x0: ix, y0: iy };
    } else {
      return; // the view pans
    }
    event.stopPropagation();
    this.target.canvas.focus();
    this.target.host.setPointerCapture(event.pointerId);
  };

  private readonly onPointerMove = (event: PointerEvent): void => {
    if (!this.drag) {
      return;
    }
    event.stopPropagation();
    const [ix, iy] = this.target.screenToImage(...this.local(event));
    const d = this.drag;
    if (d.kind === 'move') {
      this.update(d.id, { x: d.x0 + ix - d.startX, y: d.y0 + iy - d.startY });
    } else {
      this.update(d.id, { r: Math.hypot(ix - d.x0, iy - d.y0) });
    }
  };

  private readonly onPointerUp = (event: PointerEvent): void => {
    const d = this.drag;
    if (!d) {
      return;
    }
    event.stopPropagation();
    this.drag = null;
    const circle = this.items.find(c => c.id === d.id);
    if (d.kind === 'draw' && circle && (circle.r * this.target.view.zoom) / devicePixelRatio < MIN_RADIUS) {
      this.remove(d.id);
    }
  };

  private readonly onKeyDown = (event: KeyboardEvent): void => {
    if ((event.key === 'Delete' || event.key === 'Backspace') && this.selectedId !== null) {
      event.preventDefault();
      event.stopPropagation();
      this.remove(this.selectedId);
    }
  };

  private readonly svg: SVGSVGElement;
  private items: ICircle[] = [];
  private selectedId: number | null = null;
  private nextId = 1;
  private drag: { kind: 'draw' | 'move' | 'resize'; id: number; startX: number; startY: number; x0: number; y0: number } | null = null;
}
