/**
 * The mouse and keys on an ImageView's canvas: wheel zooms about the cursor, a drag pans,
 * arrows / + - / f / 1 move the view, n N [ ] Space step and blink the stack; and the status
 * of the pixel under the cursor after each of them.
 */
import type { StackImage } from './stackImage';

/** The pixel of the current image under the cursor, for a status line. */
export interface IStatus {
  /** 0-based level-0 pixel of the current image under the cursor (rounded), or null outside it. */
  x: number | null;
  y: number | null;
  /** `data` at that pixel (null while its full-resolution chunk is not loaded). */
  value: number | null;
  /** `dq` flags at that pixel (null unless the DQ overlay has loaded its chunk). */
  flags: number | null;
}

/** What the mouse and keys drive: the view as ViewInput sees it (ImageView is one). */
export interface IInputView {
  readonly canvas: HTMLCanvasElement;
  readonly current: StackImage | null;
  readonly view: { centerX: number; centerY: number; zoom: number };
  readonly blinking: boolean;
  readonly blinkInterval: number;
  setView(centerX: number, centerY: number, zoom: number): void;
  zoomAt(factor: number, cssX: number, cssY: number): void;
  fit(): void;
  next(): void;
  previous(): void;
  blink(intervalMs: number): void;
  stopBlink(): void;
  screenToImage(cssX: number, cssY: number): [number, number];
  fromReference(image: StackImage, x: number, y: number): [number, number];
  valueAt(x: number, y: number): number | null;
  flagsAt(x: number, y: number): number | null;
}

/**
 * What each key of the view does (by `KeyboardEvent.key`): the canvas's own keys here, and the
 * lab's commands of the same keys (src/lab/viewerKeys.ts), which run these actions.
 */
export function viewKeyActions(view: IInputView): Record<string, () => void> {
  const canvas = view.canvas;
  const { centerX, centerY, zoom } = view.view;
  const step = 50 / zoom;
  const center = [canvas.width / 2 / devicePixelRatio, canvas.height / 2 / devicePixelRatio] as const;
  return {
    ArrowLeft: () => view.setView(centerX - step, centerY, zoom),
    ArrowRight: () => view.setView(centerX + step, centerY, zoom),
    ArrowUp: () => view.setView(centerX, centerY + step, zoom),
    ArrowDown: () => view.setView(centerX, centerY - step, zoom),
    '+': () => view.zoomAt(2, ...center),
    '=': () => view.zoomAt(2, ...center),
    '-': () => view.zoomAt(0.5, ...center),
    f: () => view.fit(),
    '1': () => view.setView(centerX, centerY, devicePixelRatio),
    // the blink stack: ds9's Tab / Shift-Tab are taken by focus navigation here
    n: () => view.next(),
    N: () => view.previous(),
    ']': () => view.next(),
    '[': () => view.previous(),
    ' ': () => (view.blinking ? view.stopBlink() : view.blink(view.blinkInterval))
  };
}

export class ViewInput {
  constructor(
    private readonly view: IInputView,
    private readonly onStatus?: (status: IStatus) => void,
    /** Whether the canvas acts on its own keys (a host may bind them as commands instead). */
    private readonly keys = true
  ) {
    this.bind(view.canvas);
  }

  /** The status line for the pixel of the current image under the last pointer position. */
  report(): void {
    const view = this.view;
    const image = view.current;
    if (!image || !this.pointer) {
      return;
    }
    const [rx, ry] = view.screenToImage(...this.pointer);
    const [fx, fy] = view.fromReference(image, rx, ry);
    const x = Math.round(fx);
    const y = Math.round(fy);
    const [rows, cols] = image.shape;
    const inside = x >= 0 && y >= 0 && x < cols && y < rows;
    this.onStatus?.({
      x: inside ? x : null,
      y: inside ? y : null,
      value: inside ? view.valueAt(x, y) : null,
      flags: inside ? view.flagsAt(x, y) : null
    });
  }

  private bind(canvas: HTMLCanvasElement): void {
    const view = this.view;
    canvas.addEventListener('wheel', event => {
      event.preventDefault();
      const rect = canvas.getBoundingClientRect();
      view.zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX - rect.left, event.clientY - rect.top);
    });
    canvas.addEventListener('pointerdown', event => {
      if (event.button !== 0) {
        return;
      }
      canvas.focus();
      canvas.setPointerCapture(event.pointerId);
      const { centerX, centerY } = view.view;
      this.drag = { x: event.clientX, y: event.clientY, centerX, centerY };
    });
    canvas.addEventListener('pointermove', event => {
      const rect = canvas.getBoundingClientRect();
      if (this.drag) {
        const dpr = devicePixelRatio;
        const zoom = view.view.zoom;
        view.setView(
          this.drag.centerX - ((event.clientX - this.drag.x) * dpr) / zoom,
          this.drag.centerY + ((event.clientY - this.drag.y) * dpr) / zoom,
          zoom
        );
      }
      this.pointer = [event.clientX - rect.left, event.clientY - rect.top];
      this.report();
    });
    const endDrag = () => {
      this.drag = null;
    };
    canvas.addEventListener('pointerup', endDrag);
    canvas.addEventListener('pointercancel', endDrag);
    canvas.addEventListener('keydown', event => {
      if (!this.keys) {
        return;
      }
      const actions = viewKeyActions(view);
      const action = actions[event.key];
      if (action && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        event.stopPropagation();
        action();
        this.report();
      }
    });
  }

  private pointer: [number, number] | null = null;
  private drag: { x: number; y: number; centerX: number; centerY: number } | null = null;
}
