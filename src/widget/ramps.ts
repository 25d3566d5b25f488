/**
 * The ramp panel under the widget's image (the `ramp_selection` trait): the lab's RampPanel
 * with the ramps of one circle on one exposure, asked from the server. Its CSS (and uPlot's)
 * is bundled as text, since a notebook outside JupyterLab has none of the lab's style.
 */
import uplotCss from 'uplot/dist/uPlot.min.css';

import labCss from '../../style/base.css';
import { parseRampSet, RampPanel, IRampSet } from '../viewer/ramps/panel';
import { fetchRamps, IServerSettings } from './server';

const STYLE_ID = 'roman-lab-widget-ramp-style';

function injectRampStyle(doc: Document): void {
  if (!doc.getElementById(STYLE_ID)) {
    const style = doc.createElement('style');
    style.id = STYLE_ID;
    style.textContent = `${uplotCss}\n${labCss}`;
    doc.head.appendChild(style);
  }
}

/** What the ramps are of. */
export interface IRampRequest {
  imageId: string;
  /** Absolute path of the exposure. */
  path: string;
  name: string;
  circle: { ra: number; dec: number; radius_arcsec: number };
}

/** The section under the image: a title with a close button, a status line and the panel. */
export class RampSection {
  readonly node: HTMLElement;

  constructor(
    private readonly settings: IServerSettings,
    private readonly options: {
      onClose: () => void;
      onHoverPixel: (pixel: [number, number] | null, imageId: string) => void;
      onError: (message: string) => void;
    }
  ) {
    this.node = document.createElement('div');
    this.node.className = 'roman-widget-ramps';
    this.node.hidden = true;
    this.node.innerHTML = `
      <div class="roman-widget-rampsHeader">
        <span class="roman-widget-rampsTitle"></span>
        <button class="roman-widget-rampsClose" title="Close the ramp panel" aria-label="Close the ramp panel">×</button>
      </div>
      <div class="roman-widget-rampsStatus"></div>
      <div class="roman-widget-rampsPanel"></div>`;
    this.node.querySelector('.roman-widget-rampsClose')!.addEventListener('click', () => this.options.onClose());
  }

  /** The ramps shown (null while loading, failed or hidden). */
  get data(): IRampSet | null {
    return this.rampSet;
  }

  /** Shows the ramps of a request (asked again only when it changed). */
  show(request: IRampRequest): void {
    const key = JSON.stringify(request);
    this.node.hidden = false;
    if (key === this.key) {
      return;
    }
    this.key = key;
    injectRampStyle(this.node.ownerDocument);
    this.request = request;
    this.abort?.abort();
    this.abort = new AbortController();
    const abort = this.abort;
    this.rampSet = null;
    (this.node.querySelector('.roman-widget-rampsTitle') as HTMLElement).textContent =
      `Ramps of ${request.name} within ${request.circle.radius_arcsec.toFixed(2)}″ of RA ${request.circle.ra.toFixed(5)}, Dec ${request.circle.dec.toFixed(5)}`;
    this.status('loading', `Reading the Level 1 ramps of ${request.name} inside the circle…`);
    const started = performance.now();
    fetchRamps(this.settings, { path: request.path, ...request.circle }, abort.signal)
      .then(json => {
        if (abort.signal.aborted) {
          return;
        }
        this.rampSet = parseRampSet(json);
        this.panel ??= new RampPanel(this.node.querySelector('.roman-widget-rampsPanel') as HTMLElement, {
          onHoverPixel: index => {
            const pixel = index === null || !this.rampSet ? null : this.rampSet.pixels[index];
            this.options.onHoverPixel(pixel ? [pixel[0], pixel[1]] : null, this.request?.imageId ?? '');
          }
        });
        this.panel.setData(this.rampSet);
        const seconds = ((performance.now() - started) / 1000).toFixed(2);
        this.status('ready', `${this.rampSet.l1_path} · ${seconds} s${this.rampSet.note ? ` · ${this.rampSet.note}` : ''}`);
      })
      .catch(error => {
        if (abort.signal.aborted || error?.name === 'AbortError') {
          return;
        }
        const message = `The ramps of ${request.name} could not be read: ${error?.message ?? error}`;
        this.status('error', message);
        this.options.onError(message);
      });
  }

  hide(): void {
    this.abort?.abort();
    this.key = '';
    this.request = null;
    this.rampSet = null;
    this.node.hidden = true;
    this.node.dataset.state = 'hidden';
  }

  /** A pixel of the exposure hovered in the image highlights its ramp. */
  hoverImagePixel(imageId: string, x: number | null, y: number | null): void {
    if (!this.panel || !this.rampSet || !this.request) {
      return;
    }
    const index = imageId === this.request.imageId && x !== null ? this.rampSet.pixels.findIndex(([px, py]) => px === x && py === y) : -1;
    this.panel.highlightPixel(index >= 0 ? index : null);
  }

  dispose(): void {
    this.abort?.abort();
    this.panel?.dispose();
    this.node.remove();
  }

  private status(state: 'loading' | 'ready' | 'error', text: string): void {
    this.node.dataset.state = state;
    (this.node.querySelector('.roman-widget-rampsStatus') as HTMLElement).textContent = text;
  }

  private key = '';
  private request: IRampRequest | null = null;
  private rampSet: IRampSet | null = null;
  private panel: RampPanel | null = null;
  private abort: AbortController | null = null;
}
