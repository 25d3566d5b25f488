/**
 * The left "Roman" panel. It acts on the active Roman viewer: display (stretch, interval,
 * colormap, colorbar), going to a sky position, and the circles drawn on the image (sky
 * coordinates, Copy as Python, Insert into notebook, DS9 export and import).
 */
import { Clipboard, Notification } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { FileDialog } from '@jupyterlab/filebrowser';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { CommandRegistry } from '@lumino/commands';
import { IStateDB } from '@jupyterlab/statedb';
import { SidePanel } from '@jupyterlab/ui-components';
import { AccordionPanel, Panel, Widget } from '@lumino/widgets';

import { COLORMAP_NAMES, colormapRGB, lutIndex } from '../viewer/math/colormap';
import { circleToPython, ISkyCircle, parseDs9, PYTHON_IMPORTS, writeDs9 } from '../viewer/math/regions';
import { CoordinateError, formatDec, formatRA, parseCoordinate } from '../viewer/math/sexagesimal';
import { romanProduct } from '../viewer/products';
import { Interval, normalizeValue, STRETCH_DEFAULT_A, STRETCH_NAMES, StretchName } from '../viewer/math/stretch';
import { IExposureSearch } from '../viewer/session/server';
import { labServer } from './server';
import { smallButton } from './buttons';
import { romanIcon } from './icons';
import { exposureResults } from './exposureResults';
import { StackList } from './stackList';
import { TriageBox } from './triageBox';
import { RomanViewerWidget } from './viewerWidget';
import type { LimitsMode } from '../viewer/view';

const PARAMETRIC: ReadonlyArray<StretchName> = ['log', 'asinh', 'sinh', 'power'];

/** Where the panel keeps which of its sections are folded (IStateDB). */
const FOLDS_KEY = 'roman-lab:sidebar-folds';

export class RomanSidebar extends SidePanel {
  constructor(
    private readonly docManager: IDocumentManager,
    private readonly notebooks: INotebookTracker | null,
    private readonly activateById: (id: string) => void,
    private readonly commands: CommandRegistry
  ) {
    super({ header: new Panel() });
    this.id = 'roman-lab-sidebar';
    this.addClass('jp-RomanSidebar');
    this.title.icon = romanIcon;
    this.title.caption = 'Roman';
    const header = document.createElement('header');
    header.className = 'jp-RomanSidebar-header';
    header.textContent = 'Roman';
    this.header.addWidget(new Widget({ node: header }));
    this.addSection('Display', `
      <p class="jp-RomanSidebar-viewer"></p>
      <div class="jp-RomanSidebar-display" hidden>
        <label>Stretch <select class="jp-RomanSidebar-stretch">${STRETCH_NAMES.map(n => `<option>${n}</option>`).join('')}</select>
          <input class="jp-RomanSidebar-stretchA" type="number" step="any" title="the stretch's parameter a (astropy)"></label>
        <label>Interval <select class="jp-RomanSidebar-interval">
            <option value="percentile">percentile</option><option value="minmax">min/max</option>
            <option value="zscale">zscale</option><option value="manual">manual</option></select>
          <input class="jp-RomanSidebar-percentile" type="number" step="any" min="50" max="100" title="percent of the pixels kept"></label>
        <div class="jp-RomanSidebar-manual"><label>vmin <input class="jp-RomanSidebar-vmin" type="number" step="any"></label>
          <label>vmax <input class="jp-RomanSidebar-vmax" type="number" step="any"></label></div>
        <label>Colormap <select class="jp-RomanSidebar-colormap">${COLORMAP_NAMES.map(n => `<option>${n}</option>`).join('')}</select></label>
        <canvas class="jp-RomanSidebar-colorbar" width="256" height="12"></canvas>
        <div class="jp-RomanSidebar-limits"><span class="jp-RomanSidebar-lo"></span><span class="jp-RomanSidebar-hi"></span></div>
      </div>`);
    this.addSection('Blink stack', `
      <div class="jp-RomanSidebar-stack" hidden>
        <div class="jp-RomanSidebar-stackControls">
          <button class="jp-mod-styled jp-mod-minimal jp-RomanSidebar-stackPrevious" title="Previous image (Shift+N)">◀ Previous</button>
          <button class="jp-mod-styled jp-mod-minimal jp-RomanSidebar-stackBlink" title="Blink through the stack (Space)">Blink</button>
          <button class="jp-mod-styled jp-mod-minimal jp-RomanSidebar-stackNext" title="Next image (N)">Next ▶</button>
          <label>every <input class="jp-RomanSidebar-blinkInterval" type="number" min="0.05" step="0.05" value="0.5"> s</label>
        </div>
        <label><input type="checkbox" class="jp-RomanSidebar-syncDisplay" checked> Same stretch, interval and colormap for all images</label>
        <label>Limits <select class="jp-RomanSidebar-limitsMode"
            title="Each image's own: the interval (percentile, zscale…) is computed on each image. The same for all: the current image's vmin and vmax are fixed and used for every image.">
            <option value="per-image">each image's own</option>
            <option value="fixed">the same for all (fixed)</option></select></label>
        <button class="jp-mod-styled jp-RomanSidebar-applyAll">Apply this image's display to all</button>
        <label>Aligned on <select class="jp-RomanSidebar-reference" title="the image whose pixel frame every image is drawn in"></select></label>
        <p class="jp-RomanSidebar-cacheHint" hidden></p>
        <ol class="jp-RomanSidebar-stackList"></ol>
        <div class="jp-RomanSidebar-buttons">
          <button class="jp-mod-styled jp-RomanSidebar-saveState" title="Save the stack, display, view and circles as NAME.romanview.json">Save state</button>
          <button class="jp-mod-styled jp-RomanSidebar-restoreState" title="Open a NAME.romanview.json">Restore state</button>
        </div>
      </div>`);
    this.addSection('Regions', `
      <div class="jp-RomanSidebar-goto" hidden>
        <form class="jp-RomanSidebar-gotoForm"><input class="jp-RomanSidebar-gotoText" placeholder="RA Dec (deg or hms dms) or a name">
          <button type="submit" class="jp-mod-styled">Go</button></form>
      </div>
      <div class="jp-RomanSidebar-regions" hidden>
        <p class="jp-RomanSidebar-hint">Choose the Circle tool (C) and drag on the image.</p>
        <label>Exposures from <select class="jp-RomanSidebar-source">
            <option value="auto">auto</option><option value="lineage">mosaic lineage</option>
            <option value="local">local archive</option><option value="mast">MAST</option></select></label>
        <ol class="jp-RomanSidebar-regionList"></ol>
        <div class="jp-RomanSidebar-buttons">
          <button class="jp-mod-styled jp-RomanSidebar-exportDs9">Export DS9</button>
          <button class="jp-mod-styled jp-RomanSidebar-importDs9">Import DS9</button>
        </div>
      </div>`);
    this.addSection('Ramps', `
      <p>The ramps of the pixels in a circle, on the exposure on screen: draw a circle (C), then
        “Ramps” under it in Regions, or R on the image.</p>
      <button class="jp-mod-styled jp-RomanSidebar-rampsSelected">Ramps of the selected circle</button>`);
    this.addSection('Server', `
      <p class="jp-RomanSidebar-server" data-state="pending">Checking the roman-lab server extension…</p>`);
    // the stack and the controls take the room; the ramps' hint and the server's line little
    (this.content as AccordionPanel).setRelativeSizes([3, 5, 3, 1.5, 1.5]);
    this.stackList = new StackList(this.$('.jp-RomanSidebar-stackList'), this.select('reference'));
    this.bindControls();
    this.setViewer(null);
  }

  /** Folds the sections as the user last left them, and remembers each fold from now on. */
  async rememberFolds(state: IStateDB): Promise<void> {
    const accordion = this.content as AccordionPanel;
    const labels = this.widgets.map(widget => widget.title.label);
    const saved = ((await state.fetch(FOLDS_KEY)) ?? {}) as Record<string, boolean>;
    labels.forEach((label, index) => saved[label] === false && accordion.collapse(index));
    accordion.expansionToggled.connect(() => {
      const expanded = labels.map((label, index) => [label, accordion.titles[index].getAttribute('aria-expanded') === 'true']);
      void state.save(FOLDS_KEY, Object.fromEntries(expanded));
    });
  }

  /** A section of the panel: a fold of the accordion with its title. */
  private addSection(label: string, html: string): void {
    const section = new Widget();
    section.addClass('jp-RomanSidebar-section');
    section.title.label = label;
    section.node.innerHTML = html;
    this.addWidget(section);
  }

  /** Asks the server extension for its health and shows the answer. */
  async refreshServer(): Promise<void> {
    const line = this.$('.jp-RomanSidebar-server');
    try {
      const health = await labServer.health();
      line.dataset.state = 'ok';
      line.textContent = `roman-lab ${health.version} · roman_datamodels ${health.roman_datamodels} · Python ${health.python}`;
    } catch (error) {
      line.dataset.state = 'error';
      line.textContent = (error as Error).message;
    }
  }

  /** The viewer the panel acts on (the active Roman document), or null. */
  setViewer(viewer: RomanViewerWidget | null): void {
    if (viewer !== this.viewer) {
      this.results.clear();
      this.triages.forEach(box => box.cancel());
      this.triages.clear();
    }
    this.viewer?.circlesChanged.disconnect(this.renderRegions, this);
    this.viewer?.displayChanged.disconnect(this.showDisplay, this);
    this.viewer?.stackChanged.disconnect(this.renderStack, this);
    this.viewer = viewer;
    const line = this.$('.jp-RomanSidebar-viewer');
    line.textContent =
      viewer?.path ?? 'No Roman file open. Right-click an .asdf file in the file browser and choose “Open in Roman Viewer”.';
    line.dataset.active = viewer ? 'true' : 'false';
    for (const name of ['display', 'stack', 'goto', 'regions']) {
      this.$(`.jp-RomanSidebar-${name}`).hidden = !viewer;
    }
    viewer?.circlesChanged.connect(this.renderRegions, this);
    viewer?.displayChanged.connect(this.showDisplay, this);
    viewer?.stackChanged.connect(this.renderStack, this);
    this.stackList.reset();
    this.showDisplay();
    this.renderRegions();
    this.renderStack();
  }

  // --- display -----------------------------------------------------------------------

  private showDisplay(): void {
    const view = this.viewer?.imageView;
    if (!view) {
      return;
    }
    const { stretch, interval, colormap } = view.displaySettings;
    this.select('stretch').value = stretch.name;
    const a = this.input('stretchA');
    a.hidden = !PARAMETRIC.includes(stretch.name);
    a.value = String(stretch.a ?? (STRETCH_DEFAULT_A as Record<string, number>)[stretch.name] ?? 1);
    this.select('interval').value = interval.kind === 'asymmetric' ? 'percentile' : interval.kind;
    this.input('percentile').hidden = interval.kind !== 'percentile';
    if (interval.kind === 'percentile') {
      this.input('percentile').value = String(interval.percentile);
    }
    const [vmin, vmax] = view.limits;
    (this.$('.jp-RomanSidebar-manual') as HTMLElement).hidden = interval.kind !== 'manual';
    this.input('vmin').value = String(vmin);
    this.input('vmax').value = String(vmax);
    this.select('colormap').value = colormap.replace(/^gray/, 'grey');
    this.$('.jp-RomanSidebar-lo').textContent = vmin.toPrecision(4);
    this.$('.jp-RomanSidebar-hi').textContent = vmax.toPrecision(4);
    this.drawColorbar();
  }

  /** The colormap across the interval with the stretch applied, as astropy would map it. */
  private drawColorbar(): void {
    const view = this.viewer?.imageView;
    const canvas = this.$('.jp-RomanSidebar-colorbar') as HTMLCanvasElement;
    const ctx = canvas.getContext('2d');
    const norm = view?.normalization;
    if (!view || !ctx || !norm) {
      return;
    }
    const rgb = colormapRGB(view.displaySettings.colormap);
    const image = ctx.createImageData(canvas.width, canvas.height);
    for (let i = 0; i < canvas.width; i++) {
      const value = norm.vmin + ((i + 0.5) / canvas.width) * (norm.vmax - norm.vmin);
      const k = lutIndex(normalizeValue(norm, value));
      for (let j = 0; j < canvas.height; j++) {
        image.data.set([rgb[3 * k], rgb[3 * k + 1], rgb[3 * k + 2], 255], 4 * (j * canvas.width + i));
      }
    }
    ctx.putImageData(image, 0, 0);
  }

  private applyDisplay(): void {
    const view = this.viewer?.imageView;
    if (!view) {
      return;
    }
    const name = this.select('stretch').value as StretchName;
    const a = Number(this.input('stretchA').value);
    const kind = this.select('interval').value;
    let interval: Interval;
    if (kind === 'percentile') {
      interval = { kind, percentile: Number(this.input('percentile').value) || 99.5 };
    } else if (kind === 'manual') {
      interval = { kind, vmin: Number(this.input('vmin').value), vmax: Number(this.input('vmax').value) };
    } else {
      interval = { kind: kind as 'minmax' | 'zscale' };
    }
    const previous = view.displaySettings.stretch;
    const keepA = PARAMETRIC.includes(name) && previous.name === name && Number.isFinite(a) && a > 0;
    try {
      view.setDisplay({
        stretch: keepA ? { name, a } : { name },
        interval,
        colormap: this.select('colormap').value
      });
    } catch (error) {
      Notification.error(`This display cannot be applied: ${(error as Error).message}`, { autoClose: 5000 });
    }
  }

  // --- blink stack ---------------------------------------------------------------------

  /**
   * The stack list: rebuilt when images, order, marks or the reference change; on a mere
   * switch of the current image (a blink) only the highlight and the thumbnails move.
   */
  private renderStack(): void {
    const viewer = this.viewer;
    const view = viewer?.imageView;
    const list = this.$('.jp-RomanSidebar-stackList');
    if (!viewer || !view) {
      list.textContent = '';
      return;
    }
    this.input('syncDisplay').checked = view.syncDisplay;
    this.select('limitsMode').value = view.limitsModeValue;
    this.input('blinkInterval').value = String(viewer.blinkSeconds);
    this.$('.jp-RomanSidebar-stackBlink').textContent = view.blinking ? 'Stop' : 'Blink';
    const images = view.images;
    const hint = this.$('.jp-RomanSidebar-cacheHint');
    hint.hidden = view.fittingCount >= images.length;
    hint.textContent = hint.hidden
      ? ''
      : `The chunk cache holds this view of ${view.fittingCount} of the ${images.length} images: the others load as they are shown. ` +
        'Raise “Chunk cache (MiB)” in Settings → Roman Viewer for a blink without gaps.';
    this.stackList.render(view);
  }

  // --- go to ---------------------------------------------------------------------------

  private async goTo(text: string): Promise<void> {
    const viewer = this.viewer;
    if (!viewer || !text.trim()) {
      return;
    }
    let position: { ra: number; dec: number } | null;
    try {
      position = parseCoordinate(text);
      if (!position) {
        position = await labServer.resolve(text.trim());
      }
    } catch (error) {
      const reason = error instanceof CoordinateError ? `“${text}” is not a sky position: ${error.message}` : (error as Error).message;
      Notification.error(reason, { autoClose: 6000 });
      return;
    }
    if (!viewer.centerOnSky(position.ra, position.dec)) {
      Notification.warning(`${formatRA(position.ra)} ${formatDec(position.dec)} is not on this image.`, { autoClose: 5000 });
    }
  }

  // --- regions -------------------------------------------------------------------------

  private renderRegions(): void {
    const list = this.$('.jp-RomanSidebar-regionList');
    list.textContent = '';
    const layer = this.viewer?.circles;
    const circles = layer?.circles ?? [];
    this.$('.jp-RomanSidebar-hint').hidden = circles.length > 0;
    for (const circle of circles) {
      const sky = this.viewer!.toSky(circle);
      const item = document.createElement('li');
      item.className = 'jp-RomanSidebar-region';
      item.dataset.id = String(circle.id);
      item.classList.toggle('jp-mod-selected', circle.id === layer?.selected);
      const text = document.createElement('div');
      text.className = 'jp-RomanSidebar-regionText';
      text.textContent = sky
        ? `${formatRA(sky.ra)} ${formatDec(sky.dec)}  r ${sky.radiusArcsec.toFixed(2)}″`
        : `x ${circle.x.toFixed(1)} y ${circle.y.toFixed(1)}  r ${circle.r.toFixed(1)} px`;
      text.title = sky ? `RA ${sky.ra.toFixed(6)}°, Dec ${sky.dec.toFixed(6)}°; pixel x ${circle.x.toFixed(2)}, y ${circle.y.toFixed(2)}` : '';
      const pixel = document.createElement('div');
      pixel.className = 'jp-RomanSidebar-regionPixel';
      pixel.textContent = `x ${circle.x.toFixed(2)}  y ${circle.y.toFixed(2)}  r ${circle.r.toFixed(2)} px`;
      item.append(text, pixel);
      if (sky) {
        item.append(
          smallButton('Copy as Python', 'jp-RomanSidebar-copy', () => this.copyPython(sky)),
          smallButton('Insert into notebook', 'jp-RomanSidebar-insert', () => this.insertPython(sky))
        );
      }
      if (sky) {
        item.append(
          smallButton('Find exposures', 'jp-RomanSidebar-find', () => void this.findExposures(sky, circle.id, item)),
          smallButton('Ramps', 'jp-RomanSidebar-ramps', () => {
            layer?.select(circle.id);
            void this.commands.execute('roman-lab:ramps');
          }),
          smallButton('Triage', 'jp-RomanSidebar-triageRun', () => this.triage(sky, circle.id, item))
        );
      }
      item.append(smallButton('Delete', 'jp-RomanSidebar-delete', () => layer?.remove(circle.id)));
      for (const kept of [this.results.get(circle.id), this.triages.get(circle.id)?.node]) {
        if (kept) {
          item.append(kept); // kept across re-renders (selection, moves)
        }
      }
      item.addEventListener('click', event => {
        if (!(event.target instanceof HTMLButtonElement)) {
          layer?.select(circle.id);
        }
      });
      list.append(item);
    }
  }

  /** Triages the ramps of the viewer's exposures in the circle, under the circle's entry (triageBox.ts). */
  private triage(sky: ISkyCircle, circleId: number, item: HTMLElement): void {
    const viewer = this.viewer;
    if (!viewer) {
      return;
    }
    this.triages.get(circleId)?.cancel();
    this.triages.get(circleId)?.node.remove();
    const box = new TriageBox({
      viewer,
      sky,
      openRamps: (imageId, pixel) => {
        viewer.imageView?.setCurrent(imageId);
        viewer.circles?.select(circleId);
        void this.commands.execute('roman-lab:ramps', pixel ? { pixel } : {});
      }
    });
    this.triages.set(circleId, box);
    item.append(box.node);
  }

  /** Lists, under the circle's entry, every L2 exposure covering it (cancellable). */
  private async findExposures(sky: ISkyCircle, circleId: number, item: HTMLElement): Promise<void> {
    const viewer = this.viewer;
    if (!viewer) {
      return;
    }
    this.search?.abort();
    const search = (this.search = new AbortController());
    item.querySelector('.jp-RomanSidebar-exposures')?.remove();
    const box = document.createElement('div');
    this.results.set(circleId, box);
    box.className = 'jp-RomanSidebar-exposures';
    box.dataset.state = 'searching';
    const status = document.createElement('p');
    status.textContent = 'Searching…';
    box.append(status, smallButton('Cancel', 'jp-RomanSidebar-cancel', () => search.abort()));
    item.append(box);
    const source = this.select('source').value as IExposureSearch['source'];
    try {
      const found = await labServer.findExposures(
        {
          ra: sky.ra,
          dec: sky.dec,
          radiusArcsec: sky.radiusArcsec,
          source,
          mosaic: romanProduct(viewer.path).level === 3 ? viewer.path : undefined
        },
        search.signal
      );
      box.textContent = '';
      box.dataset.state = 'done';
      box.append(...exposureResults(found, paths => void this.loadIntoStack(viewer, paths, sky)));
    } catch (error) {
      box.dataset.state = 'error';
      status.textContent = search.signal.aborted ? 'Search cancelled.' : (error as Error).message;
      box.querySelector('.jp-RomanSidebar-cancel')?.remove();
    }
  }

  /** Adds exposures to the viewer's blink stack and centres on the circle. */
  private async loadIntoStack(viewer: RomanViewerWidget, paths: string[], sky: ISkyCircle): Promise<void> {
    if (paths.length === 0) {
      Notification.warning('Tick the exposures to load first.', { autoClose: 4000 });
      return;
    }
    const added = await viewer.addImages(paths);
    viewer.centerOnSky(sky.ra, sky.dec);
    Notification.success(`${added} exposure(s) added to the blink stack of ${romanProduct(viewer.path).name}.`, { autoClose: 4000 });
  }

  private snippet(sky: ISkyCircle): string {
    return `${PYTHON_IMPORTS}\n\nregion = ${circleToPython(sky)}\nregion`;
  }

  private copyPython(sky: ISkyCircle): void {
    Clipboard.copyToSystem(this.snippet(sky));
    Notification.success('Copied the circle as a regions.CircleSkyRegion.', { autoClose: 2500 });
  }

  private insertPython(sky: ISkyCircle): void {
    const panel = this.notebooks?.currentWidget;
    if (!panel) {
      Notification.warning('Open a notebook first: the circle is inserted below its active cell.', { autoClose: 5000 });
      return;
    }
    NotebookActions.insertBelow(panel.content);
    panel.content.activeCell?.model.sharedModel.setSource(this.snippet(sky));
    this.activateById(panel.id);
  }

  private async exportDs9(): Promise<void> {
    const viewer = this.viewer;
    const circles = (viewer?.circles?.circles ?? []).map(c => viewer!.toSky(c)).filter((c): c is ISkyCircle => !!c);
    if (!viewer || circles.length === 0) {
      Notification.warning('Draw a circle first: there is nothing to export.', { autoClose: 4000 });
      return;
    }
    const path = viewer.path.replace(/\.asdf$/i, '') + '.reg';
    await this.docManager.services.contents.save(path, { type: 'file', format: 'text', content: writeDs9(circles) });
    Notification.success(`Saved ${circles.length} circle(s) as ${path}`, { autoClose: 4000 });
  }

  private async importDs9(): Promise<void> {
    const viewer = this.viewer;
    if (!viewer) {
      return;
    }
    const result = await FileDialog.getOpenFiles({
      title: 'Import DS9 regions',
      manager: this.docManager,
      defaultPath: viewer.path.includes('/') ? viewer.path.slice(0, viewer.path.lastIndexOf('/')) : '',
      filter: model => (model.type === 'directory' || /\.reg$/i.test(model.path) ? {} : null)
    });
    const file = result.button.accept ? result.value?.[0] : undefined;
    if (!file) {
      return;
    }
    const model = await this.docManager.services.contents.get(file.path, { content: true, format: 'text', type: 'file' });
    const parsed = parseDs9(String(model.content));
    const added = parsed.circles.filter(c => viewer.addSkyCircle(c)).length;
    const notes = [`${added} circle(s) added from ${file.path}`];
    if (parsed.circles.length > added) {
      notes.push(`${parsed.circles.length - added} off this image`);
    }
    if (parsed.skipped.length) {
      notes.push(`${parsed.skipped.length} skipped (${parsed.skipped[0].reason}${parsed.skipped.length > 1 ? ', …' : ''})`);
    }
    (parsed.skipped.length || parsed.circles.length > added ? Notification.warning : Notification.success)(notes.join('; '), {
      autoClose: 6000
    });
  }

  // --- plumbing ------------------------------------------------------------------------

  private bindControls(): void {
    for (const name of ['stretch', 'interval', 'colormap']) {
      this.select(name).addEventListener('change', () => this.applyDisplay());
    }
    for (const name of ['stretchA', 'percentile', 'vmin', 'vmax']) {
      this.input(name).addEventListener('change', () => this.applyDisplay());
    }
    const view = () => this.viewer?.imageView ?? null;
    this.$('.jp-RomanSidebar-stackPrevious').addEventListener('click', () => view()?.previous());
    this.$('.jp-RomanSidebar-stackNext').addEventListener('click', () => view()?.next());
    this.$('.jp-RomanSidebar-stackBlink').addEventListener('click', () => this.viewer?.toggleBlink());
    this.input('blinkInterval').addEventListener('change', () => {
      const seconds = Number(this.input('blinkInterval').value);
      if (this.viewer && Number.isFinite(seconds) && seconds > 0) {
        this.viewer.blinkSeconds = seconds;
      }
    });
    this.input('syncDisplay').addEventListener('change', () => {
      const v = view();
      if (v) {
        v.syncDisplay = this.input('syncDisplay').checked;
      }
    });
    this.select('limitsMode').addEventListener('change', () => view()?.setLimitsMode(this.select('limitsMode').value as LimitsMode));
    this.$('.jp-RomanSidebar-applyAll').addEventListener('click', () => view()?.applyDisplayToAll());
    this.select('reference').addEventListener('change', () => view()?.setReference(this.select('reference').value));
    this.$('.jp-RomanSidebar-saveState').addEventListener('click', () => void this.commands.execute('roman-lab:save-state'));
    this.$('.jp-RomanSidebar-restoreState').addEventListener('click', () => void this.commands.execute('roman-lab:restore-state'));
    this.$('.jp-RomanSidebar-gotoForm').addEventListener('submit', event => {
      event.preventDefault();
      void this.goTo(this.input('gotoText').value);
    });
    this.$('.jp-RomanSidebar-rampsSelected').addEventListener('click', () => void this.commands.execute('roman-lab:ramps'));
    this.$('.jp-RomanSidebar-exportDs9').addEventListener('click', () => void this.exportDs9());
    this.$('.jp-RomanSidebar-importDs9').addEventListener('click', () => void this.importDs9());
  }

  private $(selector: string): HTMLElement {
    return this.node.querySelector(selector) as HTMLElement;
  }

  private select(name: string): HTMLSelectElement {
    return this.$(`.jp-RomanSidebar-${name}`) as HTMLSelectElement;
  }

  private input(name: string): HTMLInputElement {
    return this.$(`.jp-RomanSidebar-${name}`) as HTMLInputElement;
  }

  private viewer: RomanViewerWidget | null = null;
  private readonly stackList: StackList;
  private search: AbortController | null = null;
  /** The exposure list shown under each circle, by circle id. */
  private readonly results = new Map<number, HTMLElement>();
  /** The last triage of each circle, kept across re-renders. */
  private readonly triages = new Map<number, TriageBox>();
}
