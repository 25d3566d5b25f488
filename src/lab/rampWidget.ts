/**
 * The ramp panel beside a viewer: the L1 ramps of every pixel of the current exposure inside
 * a circle, asked from the server (`GET /roman-lab/api/ramps`). Hovering a ramp outlines its
 * pixel in the viewer; hovering a pixel of the circle in the viewer highlights its ramp.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { ISkyCircle } from '../viewer/math/regions';
import { IRampSet, parseRampSet, RampPanel } from '../viewer/ramps/panel';
import { requestAPI } from './api';
import { romanIcon } from './icons';
import { RomanViewerWidget } from './viewerWidget';

/** What the ramps are of: an exposure of a viewer's stack and a circle on the sky. */
export interface IRampRequest {
  viewer: RomanViewerWidget;
  /** The stack image (its id) and its root-relative path. */
  imageId: string;
  path: string;
  name: string;
  circle: ISkyCircle;
  threshold?: number;
}

export class RampContent extends Widget {
  constructor(private readonly request: IRampRequest) {
    super();
    this.addClass('jp-RomanRamps');
    this.status = document.createElement('div');
    this.status.className = 'jp-RomanRamps-status';
    const host = document.createElement('div');
    host.className = 'jp-RomanRamps-panel';
    this.node.append(this.status, host);
    this.panel = new RampPanel(host, {
      threshold: request.threshold,
      onHoverPixel: index => this.outline(index)
    });
    request.viewer.pixelHovered.connect(this.onViewerHover, this);
  }

  /** The ramps as the server sent them (null until loaded). */
  get rampSet(): IRampSet | null {
    return this.data;
  }

  /** Asks the server and draws; errors are shown in place (the caller also notifies). */
  async load(): Promise<void> {
    const { circle, path } = this.request;
    const params = new URLSearchParams({
      path,
      ra: String(circle.ra),
      dec: String(circle.dec),
      radius_arcsec: String(circle.radiusArcsec)
    });
    this.showStatus('loading', `Reading the Level 1 ramps of ${this.request.name} inside the circle…`);
    const started = performance.now();
    try {
      this.data = parseRampSet(await requestAPI<unknown>(`ramps?${params}`));
      this.panel.setData(this.data);
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      this.showStatus('ready', `${this.data.l1_path} · ${seconds} s${this.data.note ? ` · ${this.data.note}` : ''}`);
    } catch (error) {
      this.showStatus('error', (error as Error).message);
      throw error;
    }
  }

  /** Outlines the hovered ramp's pixel in the viewer (when the viewer shows that exposure). */
  private outline(index: number | null): void {
    const viewer = this.request.viewer;
    const pixel = index === null || !this.data ? null : this.data.pixels[index];
    viewer.markPixels(pixel && viewer.imageView?.current?.id === this.request.imageId ? [[pixel[0], pixel[1]]] : []);
  }

  /** A pixel of the circle hovered in the viewer highlights its ramp. */
  private onViewerHover(viewer: RomanViewerWidget, at: { imageId: string; x: number; y: number } | null): void {
    if (!this.data) {
      return;
    }
    const index =
      at && at.imageId === this.request.imageId ? this.data.pixels.findIndex(([x, y]) => x === at.x && y === at.y) : -1;
    this.panel.highlightPixel(index >= 0 ? index : null);
  }

  private showStatus(state: 'loading' | 'ready' | 'error', text: string): void {
    this.status.dataset.state = state;
    this.status.textContent = text;
    this.node.dataset.state = state;
  }

  dispose(): void {
    this.request.viewer.pixelHovered.disconnect(this.onViewerHover, this);
    if (!this.request.viewer.isDisposed) {
      this.request.viewer.markPixels([]);
    }
    this.panel.dispose();
    super.dispose();
  }

  private readonly status: HTMLElement;
  private readonly panel: RampPanel;
  private data: IRampSet | null = null;
}

/** The panel as a main-area tab titled after the exposure. */
export function rampWidget(request: IRampRequest): MainAreaWidget<RampContent> {
  const widget = new MainAreaWidget({ content: new RampContent(request) });
  widget.id = `roman-ramps-${Date.now()}`;
  widget.title.label = `Ramps: ${request.name}`;
  widget.title.caption = `L1 ramps of ${request.path} within ${request.circle.radiusArcsec.toFixed(2)}″ of RA ${request.circle.ra.toFixed(5)}, Dec ${request.circle.dec.toFixed(5)}`;
  widget.title.icon = romanIcon;
  widget.title.closable = true;
  return widget;
}
