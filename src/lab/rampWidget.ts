/**
 * The ramp panel beside a viewer, as a main-area tab: the L1 ramps of every pixel of the
 * current exposure inside a circle (viewer/ramps/circleRamps.ts). Hovering a ramp outlines
 * its pixel in the viewer; hovering a pixel of the circle in the viewer highlights its ramp.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { ISkyCircle } from '../viewer/math/regions';
import { CircleRamps } from '../viewer/ramps/circleRamps';
import { IRampSet } from '../viewer/ramps/panel';
import { romanIcon } from './icons';
import { labServer } from './server';
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
    const status = document.createElement('div');
    status.className = 'jp-RomanRamps-status';
    const host = document.createElement('div');
    host.className = 'jp-RomanRamps-panel';
    this.node.append(status, host);
    this.ramps = new CircleRamps(status, host, {
      threshold: request.threshold,
      onHoverPixel: (pixel, imageId) => {
        const viewer = this.request.viewer;
        viewer.markPixels(pixel && viewer.imageView?.current?.id === imageId ? [pixel] : []);
      },
      onState: state => (this.node.dataset.state = state)
    });
    request.viewer.pixelHovered.connect(this.onViewerHover, this);
  }

  /** The ramps as the server sent them (null until loaded). */
  get rampSet(): IRampSet | null {
    return this.ramps.data;
  }

  /** Asks the server and draws; errors are shown in place (the caller also notifies). */
  load(): Promise<void> {
    const { imageId, path, name, circle } = this.request;
    return this.ramps.load(labServer, {
      imageId,
      path,
      name,
      circle: { ra: circle.ra, dec: circle.dec, radius_arcsec: circle.radiusArcsec }
    });
  }

  /** A pixel of the circle hovered in the viewer highlights its ramp. */
  private onViewerHover(viewer: RomanViewerWidget, at: { imageId: string; x: number; y: number } | null): void {
    this.ramps.hoverImagePixel(at?.imageId ?? '', at?.x ?? null, at?.y ?? null);
  }

  dispose(): void {
    this.request.viewer.pixelHovered.disconnect(this.onViewerHover, this);
    if (!this.request.viewer.isDisposed) {
      this.request.viewer.markPixels([]);
    }
    this.ramps.dispose();
    super.dispose();
  }

  private readonly ramps: CircleRamps;
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
