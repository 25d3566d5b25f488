/**
 * The ramps of the pixels of one circle on one exposure: asked from the server, drawn in a
 * RampPanel, with a status line; the same in the lab's ramp tab and under the notebook
 * widget's image. Hovering a ramp reports its pixel; a pixel hovered in the image
 * highlights its ramp.
 */
import { IRampCircle, RomanServer } from '../session/server';
import { IRampPanelOptions, IRampSet, parseRampSet, RampPanel } from './panel';

/** What the ramps are of: an image of the stack (its id and file) and a circle on the sky. */
export interface ICircleRampsRequest {
  imageId: string;
  path: string;
  name: string;
  circle: IRampCircle;
}

export type RampsState = 'loading' | 'ready' | 'error';

export class CircleRamps {
  constructor(
    private readonly status: HTMLElement,
    private readonly panelHost: HTMLElement,
    private readonly options: Pick<IRampPanelOptions, 'threshold'> & {
      /** The hovered ramp's pixel of the request's image (null: none). */
      onHoverPixel: (pixel: [number, number] | null, imageId: string) => void;
      onState?: (state: RampsState) => void;
    }
  ) {}

  /** The ramps shown (null while loading, failed or cleared). */
  get data(): IRampSet | null {
    return this.rampSet;
  }

  /** Asks the server and draws; the status line says how it went, and a failure also throws. */
  async load(server: RomanServer, request: ICircleRampsRequest, signal?: AbortSignal): Promise<void> {
    this.request = request;
    this.rampSet = null;
    this.showState('loading', `Reading the Level 1 ramps of ${request.name} inside the circle…`);
    const started = performance.now();
    try {
      const rampSet = parseRampSet(await server.ramps(request.path, request.circle, signal));
      if (signal?.aborted) {
        return;
      }
      this.rampSet = rampSet;
      this.panel ??= new RampPanel(this.panelHost, {
        threshold: this.options.threshold,
        onHoverPixel: index => {
          const pixel = index === null || !this.rampSet ? null : this.rampSet.pixels[index];
          this.options.onHoverPixel(pixel ? [pixel[0], pixel[1]] : null, this.request?.imageId ?? '');
        }
      });
      this.panel.setData(rampSet);
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      this.showState('ready', `${rampSet.l1_path} · ${seconds} s${rampSet.note ? ` · ${rampSet.note}` : ''}`);
    } catch (error) {
      if (signal?.aborted || (error as Error)?.name === 'AbortError') {
        return;
      }
      this.showState('error', `The ramps of ${request.name} could not be read: ${(error as Error)?.message ?? error}`);
      throw error;
    }
  }

  /** Forgets the request (a hidden panel). */
  clear(): void {
    this.request = null;
    this.rampSet = null;
  }

  /** A pixel of an image of the stack under the cursor highlights its ramp (null: none). */
  hoverImagePixel(imageId: string, x: number | null, y: number | null): void {
    if (!this.panel || !this.rampSet || !this.request) {
      return;
    }
    const index = imageId === this.request.imageId && x !== null ? this.rampSet.pixels.findIndex(([px, py]) => px === x && py === y) : -1;
    this.panel.highlightPixel(index >= 0 ? index : null);
  }

  dispose(): void {
    this.panel?.dispose();
  }

  private showState(state: RampsState, text: string): void {
    this.status.dataset.state = state;
    this.status.textContent = text;
    this.options.onState?.(state);
  }

  private request: ICircleRampsRequest | null = null;
  private rampSet: IRampSet | null = null;
  private panel: RampPanel | null = null;
}
