/**
 * The ramp panel under the widget's image (the `ramp_selection` trait): the ramps of one
 * circle on one exposure (viewer/ramps/circleRamps.ts), as in the lab's ramp tab. Its CSS (and uPlot's)
 * is bundled as text, since a notebook outside JupyterLab has none of the lab's style.
 */
import uplotCss from 'uplot/dist/uPlot.min.css';

import labCss from '../../style/base.css';
import rampsCss from '../../style/ramps.css';
import { CircleRamps, ICircleRampsRequest } from '../viewer/ramps/circleRamps';
import { IRampSet } from '../viewer/ramps/panel';
import { RomanServer } from '../viewer/session/server';

const STYLE_ID = 'roman-lab-widget-ramp-style';

function injectRampStyle(doc: Document): void {
  if (!doc.getElementById(STYLE_ID)) {
    const style = doc.createElement('style');
    style.id = STYLE_ID;
    style.textContent = `${uplotCss}\n${labCss}\n${rampsCss}`;
    doc.head.appendChild(style);
  }
}

/** The section under the image: a title with a close button, a status line and the panel. */
export class RampSection {
  readonly node: HTMLElement;

  constructor(
    private readonly server: RomanServer,
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
    this.ramps = new CircleRamps(
      this.node.querySelector('.roman-widget-rampsStatus') as HTMLElement,
      this.node.querySelector('.roman-widget-rampsPanel') as HTMLElement,
      { onHoverPixel: options.onHoverPixel, onState: state => (this.node.dataset.state = state) }
    );
  }

  /** The ramps shown (null while loading, failed or hidden). */
  get data(): IRampSet | null {
    return this.ramps.data;
  }

  /** Shows the ramps of a request (asked again only when it changed). */
  show(request: ICircleRampsRequest): void {
    const key = JSON.stringify(request);
    this.node.hidden = false;
    if (key === this.key) {
      return;
    }
    this.key = key;
    injectRampStyle(this.node.ownerDocument);
    this.abort?.abort();
    this.abort = new AbortController();
    (this.node.querySelector('.roman-widget-rampsTitle') as HTMLElement).textContent =
      `Ramps of ${request.name} within ${request.circle.radius_arcsec.toFixed(2)}″ of RA ${request.circle.ra.toFixed(5)}, Dec ${request.circle.dec.toFixed(5)}`;
    this.ramps.load(this.server, request, this.abort.signal).catch(error => {
      this.options.onError(`The ramps of ${request.name} could not be read: ${error?.message ?? error}`);
    });
  }

  hide(): void {
    this.abort?.abort();
    this.key = '';
    this.ramps.clear();
    this.node.hidden = true;
    this.node.dataset.state = 'hidden';
  }

  /** A pixel of the exposure hovered in the image highlights its ramp. */
  hoverImagePixel(imageId: string, x: number | null, y: number | null): void {
    this.ramps.hoverImagePixel(imageId, x, y);
  }

  dispose(): void {
    this.abort?.abort();
    this.ramps.dispose();
    this.node.remove();
  }

  private readonly ramps: CircleRamps;
  private key = '';
  private abort: AbortController | null = null;
}
