/**
 * One blink session on a host element, written once for the lab and the notebook widget:
 * the image view, the circles and the pixel outline drawn over it, and the status line under
 * the cursor. Its images come from the server through an ImageLoader; a host adds its own
 * chrome (toolbar, sidebar, traits) around it.
 */
import { CircleLayer, ICircle } from '../circles';
import { formatDec, formatRA } from '../math/sexagesimal';
import { PixelMarker } from '../pixelMarker';
import { StackImage } from '../stackImage';
import { IStatus, ImageView } from '../view';
import { RomanServer } from './server';

export interface ISessionOptions {
  server: RomanServer;
  /** Bytes of chunk data kept for all images together. */
  cacheBytes: number;
  /** The status line for the pixel under the cursor ('' when it left the image). */
  onReadout: (text: string, status: IStatus) => void;
  /** Images added, removed, reordered or marked, the current image or the reference changed. */
  onStackChanged: () => void;
  /** The current image's normalisation changed. */
  onDisplayChanged?: () => void;
  onCirclesChanged: (circles: ICircle[], selected: number | null) => void;
  onError: (message: string) => void;
  /** More layers drawn over the image after each frame (catalog markers). */
  overlays?: () => Array<{ render(): void }>;
  /**
   * Whether the canvas acts on its own keys (default true: the notebook widget). The lab binds
   * them as commands instead, so a shortcut changed or removed in its settings is obeyed.
   */
  canvasKeys?: boolean;
}

export class StackSession {
  readonly view: ImageView;
  readonly circles: CircleLayer;
  /** Outlines pixels of the current image (the ramp panel's hovered pixel). */
  readonly pixelMarker: PixelMarker;

  constructor(
    readonly host: HTMLElement,
    options: ISessionOptions
  ) {
    this.view = new ImageView(host, {
      onStatus: status => options.onReadout(this.readout(status), status),
      onDraw: () => {
        this.circles.render();
        for (const overlay of options.overlays?.() ?? []) {
          overlay.render();
        }
        this.pixelMarker.render();
      },
      onDisplayChanged: options.onDisplayChanged,
      onStackChanged: options.onStackChanged,
      onError: options.onError,
      cacheBytes: options.cacheBytes,
      canvasKeys: options.canvasKeys
    });
    this.circles = new CircleLayer(this.view, options.onCirclesChanged, options.canvasKeys ?? true);
    this.pixelMarker = new PixelMarker(host, (x, y) => {
      const current = this.view.current;
      return current ? this.view.imageToScreen(...this.view.toReference(current, x, y)) : [NaN, NaN];
    });
    void options.server.dqFlags().then(
      flags => (this.dqFlags = flags),
      () => undefined // the readout then shows the bits without their names
    );
  }

  /** The current image's name (⚑ when marked) and, as a tooltip, its path and alignment. */
  currentName(): { text: string; title: string } {
    const view = this.view;
    const current = view.current;
    if (!current) {
      return { text: '', title: '' };
    }
    const byPixel = view.alignmentOf(current) === 'pixel' && view.reference !== current;
    return {
      text: `${current.info.name}${current.info.mark ? ' ⚑' : ''}`,
      title: `${current.info.path}${byPixel ? ' (aligned by pixel: no WCS)' : ''}`
    };
  }

  /** The image of the stack with this id. */
  image(id: string | null | undefined): StackImage | null {
    return this.view.images.find(image => image.id === id) ?? null;
  }

  dispose(): void {
    this.circles.dispose();
    this.pixelMarker.dispose();
    this.view.dispose();
  }

  /** `x  y  value  RA Dec  dq` of the pixel under the cursor. */
  private readout(status: IStatus): string {
    if (status.x === null || status.y === null) {
      return '';
    }
    const value = status.value === null ? '…' : Number.isFinite(status.value) ? status.value.toPrecision(6) : String(status.value);
    let sky = '';
    const current = this.view.current;
    const wcs = current && this.view.wcsOf(current);
    if (wcs) {
      const [ra, dec] = wcs.pixelToWorld(status.x, status.y);
      sky = `  RA ${formatRA(ra)} Dec ${formatDec(dec)} (${ra.toFixed(6)}, ${dec.toFixed(6)})`;
    }
    const names = status.flags ? flagNames(status.flags, this.dqFlags) : [];
    const flags = status.flags ? `  dq ${status.flags}${names.length ? ` ${names.join('|')}` : ''}` : '';
    return `x ${status.x}  y ${status.y}  value ${value}${sky}${flags}`;
  }

  private dqFlags: Record<string, number> = {};
}

/** The names of the flags set in `value`. */
export function flagNames(value: number, flags: Record<string, number>): string[] {
  return Object.entries(flags)
    .filter(([, bit]) => (value & bit) !== 0)
    .map(([name]) => name);
}
