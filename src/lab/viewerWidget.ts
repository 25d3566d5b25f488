/**
 * The main-area widget for one Roman file. Until the tiled viewer lands it shows
 * what the file is and the display defaults the viewer will start from.
 */
import { Widget } from '@lumino/widgets';

import { romanProduct } from '../viewer/products';

export interface IViewerDefaults {
  stretch: string;
  colormap: string;
  percentile: number;
}

export class RomanViewerWidget extends Widget {
  constructor(readonly path: string) {
    super();
    const product = romanProduct(path);
    this.id = `roman-lab-viewer-${encodeURIComponent(path)}`;
    this.addClass('jp-RomanViewer');
    this.title.label = product.name;
    this.title.caption = `${product.label}: ${path}`;
    this.title.closable = true;
    this.node.innerHTML = `
      <div class="jp-RomanViewer-card">
        <h2 class="jp-RomanViewer-name"></h2>
        <p class="jp-RomanViewer-kind"></p>
        <p class="jp-RomanViewer-defaults"></p>
      </div>`;
    this.node.querySelector('.jp-RomanViewer-name')!.textContent = product.name;
    this.node.querySelector('.jp-RomanViewer-kind')!.textContent = `${product.label} · ${path}`;
  }

  /** Shows the display defaults from the settings (they change live). */
  setDefaults(defaults: IViewerDefaults): void {
    this.node.querySelector('.jp-RomanViewer-defaults')!.textContent =
      `Stretch ${defaults.stretch}, ${defaults.percentile}% interval, colormap ${defaults.colormap}.`;
  }
}
