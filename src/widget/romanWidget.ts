/**
 * The browser half of `roman_lab.Viewer`: the lab's viewer core (ImageView, CircleLayer)
 * in a notebook output, kept in step with the widget's traits (docs/state.md "Widget traits").
 *
 * Python -> browser: every trait is applied to the view (images converted through the
 * server's store API, added as they become display-ready, removed and reordered; the
 * display, the view, circles, catalog markers, blinking, the DQ overlay).
 * Browser -> Python: circles drawn, moved, resized or deleted (`regions`, at once), the image
 * on screen (`current`), the view after the user pans or zooms (`center`, `zoom_level`,
 * debounced), `view_size`, `blinking`, `dq_overlay` and marks from the toolbar.
 */
import { CircleLayer, ICircle } from '../viewer/circles';
import { ImageLoader } from '../viewer/session/loader';
import { RomanServer } from '../viewer/session/server';
import { StackSession } from '../viewer/session/session';
import { RomanStore } from '../viewer/store';
import { IImageInfo, ImageView } from '../viewer/view';
import {
  applyView,
  circleToSky,
  DEFAULT_DISPLAY_VALUE,
  ICircleValue,
  IDisplayValue,
  IViewImage,
  IViewValues,
  readView,
  skyToCircle
} from '../viewer/viewState';
import { ICatalogValue, MarkerLayer, projectCatalog } from './markers';
import { RampSection } from './ramps';
import { PageConnection } from './server';
import { injectStyle } from './style';
import * as traits from './traits';

/** The anywidget model, as much of it as the widget uses. */
export interface IWidgetModel {
  get(name: string): any;
  set(name: string, value: unknown): void;
  save_changes(): void;
  on(event: string, callback: (...args: any[]) => void): void;
  off(event?: string | null, callback?: ((...args: any[]) => void) | null): void;
}

/** Polling of a conversion until display-ready, then until complete (ms). */
const DISPLAY_READY_POLL_MS = 200;
const COMPLETE_POLL_MS = 800;
/** Conversions polled at once (the browser has ~6 connections per host; chunks need some). */
const CONVERSIONS_AT_ONCE = 3;
/** Quiet time after the user's last pan/zoom before the view is written to Python. */
const VIEW_DEBOUNCE_MS = 150;
/** Circles are written at most this often while dragged (and always at the end). */
const REGIONS_THROTTLE_MS = 40;
const MAX_ERRORS_SHOWN = 5;

const TRAITS = [
  'images',
  'current',
  'reference',
  'display',
  'sync_stretch',
  'limits',
  'image_display',
  'center',
  'zoom_level',
  'regions',
  'catalogs',
  'blink_interval',
  'blinking',
  'dq_overlay',
  'ramp_selection'
] as const;

interface IPending {
  entry: IViewImage;
  cancelled: boolean;
}

export class RomanWidget {
  readonly root: HTMLElement;

  constructor(
    private readonly model: IWidgetModel,
    el: HTMLElement
  ) {
    injectStyle(el.ownerDocument);
    const server = new RomanServer(new PageConnection());
    this.root = document.createElement('div');
    this.root.className = 'roman-widget';
    this.root.dataset.tool = 'pan';
    this.root.setAttribute('data-lm-suppress-shortcuts', 'true');
    this.root.innerHTML = `
      <div class="roman-widget-toolbar">
        <button class="roman-widget-previous" title="Previous image (Shift+N)" aria-label="Previous image">◀</button>
        <button class="roman-widget-blink" title="Blink through the stack (Space)" aria-label="Blink" aria-pressed="false">▶</button>
        <button class="roman-widget-next" title="Next image (N)" aria-label="Next image">▶▎</button>
        <span class="roman-widget-position"></span>
        <select class="roman-widget-picker" title="The image on screen" aria-label="Image on screen"></select>
        <button class="roman-widget-mark" title="Mark the image on screen as suspicious (or clear its mark)" aria-label="Mark" aria-pressed="false">⚑</button>
        <span class="roman-widget-sep"></span>
        <button class="roman-widget-pan" title="Pan tool: drag moves the view (P)" aria-pressed="true">Pan</button>
        <button class="roman-widget-circle" title="Circle tool: drag draws a circle, Delete removes the selected one (C)" aria-pressed="false">Circle</button>
        <button class="roman-widget-dq" title="Show the DQ flags (D)" aria-pressed="false">DQ</button>
        <button class="roman-widget-ramp" title="The Level 1 ramps of the selected circle on the exposure on screen (R)" aria-pressed="false">Ramps</button>
        <button class="roman-widget-fit" title="Fit the reference image in the view (F)">Fit</button>
      </div>
      <div class="roman-widget-progress" hidden>
        <div class="roman-widget-progressLabel"></div>
        <div class="roman-widget-progressTrack"><div class="roman-widget-progressBar"></div></div>
      </div>
      <div class="roman-widget-host"><div class="roman-widget-empty"></div></div>
      <div class="roman-widget-status">
        <span class="roman-widget-name"></span>
        <span class="roman-widget-readout"></span>
      </div>
      <div class="roman-widget-errors" role="alert"></div>`;
    el.appendChild(this.root);
    this.host = this.part('host');

    this.session = new StackSession(this.host, {
      server,
      cacheBytes: 256 * 2 ** 20,
      onReadout: (text, status) => {
        this.ramps.hoverImagePixel(this.view.current?.id ?? '', status.x, status.y);
        this.part('readout').textContent = text;
      },
      onStackChanged: () => this.onStackChanged(),
      onCirclesChanged: circles => this.onCirclesChanged(circles),
      onError: message => this.showError(message),
      overlays: () => [this.markers]
    });
    this.view = this.session.view;
    this.circles = this.session.circles;
    this.markers = new MarkerLayer(this.host, (x, y) => this.view.imageToScreen(x, y));
    this.loader = new ImageLoader(server, {
      concurrency: CONVERSIONS_AT_ONCE,
      displayReadyPollMs: DISPLAY_READY_POLL_MS,
      completePollMs: COMPLETE_POLL_MS,
      onChange: () => this.showProgress(),
      onComplete: () => this.view.refreshLevels()
    });
    this.ramps = new RampSection(server, {
      onClose: () => {
        this.write({ ramp_selection: null });
        this.applyRamps();
      },
      onHoverPixel: (pixel, imageId) => this.session.pixelMarker.set(pixel && this.view.current?.id === imageId ? [pixel] : []),
      onError: message => this.showError(message)
    });
    this.part('errors').before(this.ramps.node);

    this.bindToolbar();
    this.bindInput();
    for (const name of TRAITS) {
      const callback = () => this.traitChanged(name);
      this.model.on(`change:${name}`, callback);
      this.listeners.push([`change:${name}`, callback]);
    }
    this.resizeObserver = new ResizeObserver(() => this.resized());
    this.resizeObserver.observe(this.host);

    this.syncImages();
    this.applyCatalogs();
    this.applyRamps();
    this.updateToolbar();
  }

  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    for (const [event, callback] of this.listeners) {
      this.model.off(event, callback);
    }
    this.loader.dispose();
    for (const pending of this.pending.values()) {
      pending.cancelled = true;
    }
    window.clearTimeout(this.viewTimer);
    window.clearTimeout(this.regionsTimer);
    this.resizeObserver.disconnect();
    window.clearTimeout(this.rampsTimer);
    this.markers.dispose();
    this.ramps.dispose();
    this.session.dispose();
    this.root.remove();
  }

  // --- the traits ---------------------------------------------------------------------

  /** The view values as the model has them now (and `blinking`). */
  private values(): IViewValues & { blinking: boolean } {
    const get = <K extends keyof IViewValues>(key: K, fallback: IViewValues[K]): IViewValues[K] => this.model.get(key) ?? fallback;
    return {
      images: get('images', []),
      current: get('current', 0),
      reference: this.model.get('reference') ?? null,
      display: get('display', DEFAULT_DISPLAY_VALUE),
      sync_stretch: this.model.get('sync_stretch') ?? true,
      limits: get('limits', 'per-image'),
      image_display: get('image_display', {}),
      center: this.model.get('center') ?? null,
      zoom_level: this.model.get('zoom_level') ?? null,
      regions: get('regions', []),
      catalogs: get('catalogs', {}),
      blink_interval: get('blink_interval', 0.5),
      dq_overlay: this.model.get('dq_overlay') ?? false,
      blinking: this.model.get('blinking') ?? false,
      ramp_selection: this.model.get('ramp_selection') ?? null
    };
  }

  /** Sends values to Python (one message); the change events they raise here are ignored. */
  private write(values: Record<string, unknown>): void {
    if (this.disposed) {
      return;
    }
    this.writing++;
    try {
      for (const [key, value] of Object.entries(values)) {
        this.model.set(key, value);
      }
      this.model.save_changes();
    } finally {
      this.writing--;
    }
  }

  private traitChanged(name: (typeof TRAITS)[number]): void {
    if (this.writing > 0 || this.disposed) {
      return;
    }
    this.guarded(() => {
      switch (name) {
        case 'images':
          this.syncImages();
          this.applyRamps();
          break;
        case 'current':
        case 'reference':
          this.applyStack();
          break;
        case 'display':
        case 'sync_stretch':
        case 'limits':
        case 'image_display':
          this.applyDisplay();
          break;
        case 'center':
        case 'zoom_level':
          this.applyViewport();
          break;
        case 'regions':
          this.applyRegions();
          this.applyRamps();
          break;
        case 'ramp_selection':
          this.applyRamps();
          break;
        case 'catalogs':
          this.applyCatalogs();
          break;
        case 'blinking':
        case 'blink_interval':
          this.applyBlink();
          break;
        case 'dq_overlay':
          this.applyDq();
          break;
      }
    });
    this.updateToolbar();
  }

  /** Runs a change of the view from the traits: nothing it causes is written back. */
  private guarded(apply: () => void): void {
    this.applying++;
    try {
      apply();
    } catch (error) {
      this.showError((error as Error).message ?? String(error));
    } finally {
      this.applying--;
    }
  }

  private held(): Set<string> {
    return new Set(this.view.images.map(image => image.id));
  }

  // --- images -------------------------------------------------------------------------

  /** Starts conversions of new images, takes out the gone ones, then orders the stack. */
  private syncImages(): void {
    const values = this.values();
    const plan = traits.planImages(
      values.images,
      this.view.images.map(image => ({ id: image.id, path: image.info.path })),
      [...this.pending.values()].map(p => ({ id: p.entry.id, path: p.entry.path })),
      [...this.failed].map(([id, path]) => ({ id, path }))
    );
    for (const id of plan.cancel) {
      const pending = this.pending.get(id);
      if (pending) {
        pending.cancelled = true;
        this.pending.delete(id);
      }
    }
    const wanted = new Set(values.images.map(entry => entry.id));
    for (const id of [...this.failed.keys()]) {
      if (!wanted.has(id)) {
        this.failed.delete(id);
      }
    }
    this.guarded(() => {
      for (const id of plan.remove) {
        this.view.remove(id);
      }
    });
    // the image on screen and the reference first, then in stack order
    const first = new Set([traits.currentId(values), values.reference]);
    const order = [...plan.add].sort((a, b) => Number(first.has(b.id)) - Number(first.has(a.id)));
    for (const entry of order) {
      this.failed.delete(entry.id);
      const pending = { entry, cancelled: false };
      this.pending.set(entry.id, pending);
      void this.convert(pending);
    }
    this.guarded(() => this.applyStack());
    this.showProgress();
    this.updateToolbar();
  }

  /** Converts one image (or joins its conversion), adds it when display-ready, completes it later. */
  private async convert(pending: IPending): Promise<void> {
    const { entry } = pending;
    try {
      const opened = await this.loader.open(entry.path, entry.name, () => pending.cancelled);
      if (!opened || pending.cancelled || this.disposed) {
        return;
      }
      if (opened.store.attrs.level === 1) {
        throw new Error(
          'a Level 1 ramp file has no image to show: load its Level 2 exposure (_cal); its ramps come from there (v.ramps())'
        );
      }
      await this.addToView(pending, opened.store);
      opened.complete.catch(error => {
        if (!this.disposed && (error as Error)?.name !== 'AbortError') {
          this.showError(`The full resolution of ${entry.path} could not be made: ${(error as Error)?.message ?? error}`);
        }
      });
    } catch (error) {
      if (pending.cancelled || this.disposed || (error as Error)?.name === 'AbortError') {
        return;
      }
      this.failed.set(entry.id, entry.path);
      this.showError(`${entry.name} could not be shown: ${(error as Error)?.message ?? error}`);
    } finally {
      if (this.pending.get(entry.id) === pending) {
        this.pending.delete(entry.id);
      }
      this.showProgress();
      this.updateToolbar();
    }
  }

  private async addToView(pending: IPending, store: RomanStore): Promise<void> {
    const { entry } = pending;
    const info: Partial<IImageInfo> = {
      id: entry.id,
      path: entry.path,
      name: entry.name,
      kind: entry.kind === 'ramp' ? 'user' : entry.kind,
      mark: entry.mark ?? null,
      wcsFrom: entry.wcs_from ?? null
    };
    if (entry.meta?.time) {
      info.time = entry.meta.time;
    }
    if (entry.meta?.detector) {
      info.detector = entry.meta.detector;
    }
    const image = await this.view.add(store, info);
    if (this.disposed) {
      return;
    }
    if (pending.cancelled) {
      this.guarded(() => this.view.remove(image.id));
      return;
    }
    this.guarded(() => {
      const values = this.values();
      if (this.view.images.length === 1) {
        this.applyDisplay();
      } else if (!this.view.syncDisplay) {
        applyView(this.view, { image_display: { [image.id]: values.image_display[image.id] ?? values.display } });
      }
      this.applyStack();
      if (this.view.images.length === 1 && values.blinking) {
        this.applyBlink();
      }
      this.applyDq();
      if (Object.values(values.catalogs as Record<string, ICatalogValue>).some(c => c.frame !== null)) {
        this.applyCatalogs();
      }
    });
    this.root.dataset.ready = String(this.view.images.length);
    this.updateToolbar();
  }

  /** Order, marks, borrowed WCSs, names, the reference and the image on screen, from the traits. */
  private applyStack(): void {
    const values = this.values();
    const held = this.held();
    const images = traits.heldInOrder(values.images, held);
    for (const entry of images) {
      const image = this.view.images.find(i => i.id === entry.id);
      if (image && image.info.name !== entry.name) {
        image.info.name = entry.name;
      }
    }
    applyView(this.view, { images });
    const reference = traits.referenceId(values, held);
    if (reference && this.view.reference?.id !== reference) {
      this.view.setReference(reference);
    }
    const current = traits.currentId(values);
    if (current && held.has(current) && this.view.current?.id !== current) {
      this.view.setCurrent(current);
    }
  }

  private applyDisplay(): void {
    if (this.view.images.length === 0) {
      return;
    }
    const values = this.values();
    const held = this.held();
    const imageDisplay: Record<string, IDisplayValue> = {};
    if (!values.sync_stretch) {
      for (const id of held) {
        imageDisplay[id] = values.image_display[id] ?? values.display;
      }
    }
    applyView(this.view, {
      sync_stretch: values.sync_stretch,
      display: values.display,
      limits: values.limits,
      ...(values.sync_stretch ? {} : { image_display: imageDisplay })
    });
  }

  /** The centre and zoom of the traits (null: the reference image's centre / fit). */
  private applyViewport(): void {
    const reference = this.view.reference;
    if (!reference) {
      return;
    }
    const { center, zoom_level } = this.values();
    if (zoom_level === null) {
      this.view.fit();
    }
    if (center !== null || zoom_level !== null) {
      const [rows, cols] = reference.shape;
      applyView(this.view, {
        center: center ?? { x: (cols - 1) / 2, y: (rows - 1) / 2 },
        ...(zoom_level !== null ? { zoom_level } : {})
      });
    }
  }

  private applyBlink(): void {
    const { blinking, blink_interval } = this.values();
    const ms = Math.max(50, blink_interval * 1000);
    if (blinking && this.view.images.length > 0) {
      if (!this.view.blinking || this.view.blinkInterval !== ms) {
        this.view.blink(ms);
      }
    } else if (!blinking && this.view.blinking) {
      this.view.stopBlink();
    }
  }

  private applyDq(): void {
    applyView(this.view, { dq_overlay: this.values().dq_overlay });
  }

  // --- circles ------------------------------------------------------------------------

  /** The circles of `regions` on the view (by id: moved, added, removed). */
  private applyRegions(): void {
    if (!this.view.reference) {
      return;
    }
    const regions = this.values().regions;
    const wanted = new Set(regions.map(r => r.id));
    for (const circle of this.circles.circles) {
      const id = this.regionOf.get(circle.id);
      if (id === undefined || !wanted.has(id)) {
        this.circles.remove(circle.id);
        this.forget(circle.id);
      }
    }
    const unplaced: string[] = [];
    for (const region of regions) {
      const pixels = skyToCircle(this.view, region);
      const layerId = region.id !== undefined ? this.circleOf.get(region.id) : undefined;
      if (!pixels) {
        unplaced.push(region.id ?? '?');
        continue;
      }
      if (layerId !== undefined) {
        const now = this.circles.circles.find(c => c.id === layerId);
        if (now && (Math.abs(now.x - pixels.x) > 1e-6 || Math.abs(now.y - pixels.y) > 1e-6 || Math.abs(now.r - pixels.r) > 1e-6)) {
          this.circles.update(layerId, pixels);
        }
      } else {
        const circle = this.circles.add(pixels.x, pixels.y, pixels.r);
        const id = region.id ?? traits.newRegionId();
        this.regionOf.set(circle.id, id);
        this.circleOf.set(id, circle.id);
      }
    }
    this.root.dataset.circles = String(this.circles.circles.length);
    if (unplaced.length > 0 && !this.view.wcsOf(this.view.reference)) {
      this.showError('The reference image has no WCS: circles on the sky cannot be drawn on it.');
    }
  }

  private forget(layerId: number): void {
    const id = this.regionOf.get(layerId);
    this.regionOf.delete(layerId);
    if (id !== undefined) {
      this.circleOf.delete(id);
    }
  }

  /** The user drew, moved, resized, deleted or selected a circle: `regions` soon (throttled). */
  private onCirclesChanged(circles: ICircle[]): void {
    this.root.dataset.circles = String(circles.length);
    if (this.applying > 0 || this.disposed) {
      return;
    }
    const since = performance.now() - this.regionsWritten;
    window.clearTimeout(this.regionsTimer);
    if (since >= REGIONS_THROTTLE_MS) {
      this.writeRegions();
    } else {
      this.regionsTimer = window.setTimeout(() => this.writeRegions(), REGIONS_THROTTLE_MS - since);
    }
  }

  private writeRegions(): void {
    if (this.disposed) {
      return;
    }
    const layerIds = new Set(this.circles.circles.map(c => c.id));
    for (const layerId of [...this.regionOf.keys()]) {
      if (!layerIds.has(layerId)) {
        this.forget(layerId);
      }
    }
    const regions: ICircleValue[] = [];
    let noWcs = false;
    for (const circle of this.circles.circles) {
      const sky = circleToSky(this.view, circle);
      if (!sky) {
        noWcs = true;
        continue;
      }
      if (!traits.validCircle(sky)) {
        continue; // a circle being drawn has no radius yet
      }
      let id = this.regionOf.get(circle.id);
      if (id === undefined) {
        id = traits.newRegionId();
        this.regionOf.set(circle.id, id);
        this.circleOf.set(id, circle.id);
      }
      regions.push({ ra: traits.wrapRa(sky.ra), dec: sky.dec, radius_arcsec: sky.radius_arcsec, id });
    }
    if (noWcs) {
      this.showError('The reference image has no WCS: a circle drawn on it has no sky position, so Python does not get it.');
    }
    this.regionsWritten = performance.now();
    if (traits.regionsDiffer(regions, this.values().regions)) {
      this.write({ regions });
      // the ramps follow their circle once it stops moving
      window.clearTimeout(this.rampsTimer);
      this.rampsTimer = window.setTimeout(() => this.applyRamps(), 300);
    }
  }

  // --- ramps --------------------------------------------------------------------------

  /** The ramp panel of `ramp_selection` (hidden when null). */
  private applyRamps(): void {
    const values = this.values();
    const selection = values.ramp_selection;
    const entry = selection && values.images.find(e => e.id === selection.image);
    const region = selection && values.regions.find(r => r.id === selection.region);
    this.part('ramp').setAttribute('aria-pressed', String(!!selection));
    if (!selection || !entry) {
      this.ramps.hide();
      this.session.pixelMarker.set([]);
      return;
    }
    if (!region) {
      this.ramps.hide();
      this.showError(`The ramp panel's circle ${selection.region} is not among the circles any more.`);
      return;
    }
    this.ramps.show({
      imageId: entry.id,
      path: entry.path,
      name: entry.name,
      circle: { ra: region.ra, dec: region.dec, radius_arcsec: region.radius_arcsec }
    });
  }

  /** Opens the ramps of the selected (else the last) circle on the exposure on screen, or closes them. */
  private toggleRamps(): void {
    const values = this.values();
    if (values.ramp_selection) {
      this.write({ ramp_selection: null });
      this.applyRamps();
      return;
    }
    const current = this.view.current;
    const entry = current && values.images.find(e => e.id === current.id);
    if (!entry) {
      this.showError('No image on screen: the ramps are of the exposure shown.');
      return;
    }
    if (entry.kind !== 'exposure') {
      this.showError(`${entry.name} is not a Level 2 exposure (_cal): the ramps come from an exposure's Level 1 file.`);
      return;
    }
    const selected = this.circles.selected;
    const region = (selected !== null ? this.regionOf.get(selected) : undefined) ?? values.regions[values.regions.length - 1]?.id;
    if (!region) {
      this.showError('Draw a circle first (the Circle tool, C): the ramps are of the pixels inside it.');
      return;
    }
    this.write({ ramp_selection: { image: entry.id, region } });
    this.applyRamps();
  }

  // --- catalogs -----------------------------------------------------------------------

  private applyCatalogs(): void {
    const catalogs = this.values().catalogs as Record<string, ICatalogValue>;
    const reference = this.view.reference;
    const wcs = reference ? this.view.wcsOf(reference) : null;
    const sky = wcs ? (ra: number, dec: number) => wcs.worldToPixel(ra, dec) : null;
    const layers = Object.entries(catalogs).map(([label, catalog]) => {
      const frameId = catalog.frame ?? reference?.id ?? null;
      const frame = this.view.images.find(image => image.id === frameId) ?? null;
      const pixel = frame ? (x: number, y: number) => this.view.toReference(frame, x, y) : null;
      return { label, points: reference ? projectCatalog(catalog, sky, pixel) : new Float64Array(0), style: catalog.style };
    });
    this.markers.set(layers);
    this.root.dataset.markers = String(layers.reduce((n, layer) => n + layer.points.length / 2, 0));
  }

  // --- the stack changed in the view --------------------------------------------------

  private onStackChanged(): void {
    if (this.disposed) {
      return;
    }
    const structural = this.view.images.length !== this.heldCount;
    this.heldCount = this.view.images.length;
    const reference = this.view.reference?.id ?? null;
    if (reference !== this.shownReference) {
      this.shownReference = reference;
      // circles, markers and the view live in reference pixels: place them again
      this.guarded(() => {
        this.applyViewport();
        this.applyRegions();
        this.applyCatalogs();
      });
    }
    if (this.applying === 0 && !structural) {
      const values = this.values();
      const id = this.view.current?.id ?? null;
      const index = values.images.findIndex(entry => entry.id === id);
      // while Python's current image is still converting, the view shows another one: that is
      // not the user's choice, so it is not written back (a restore would end on the wrong image)
      const wanted = values.images[values.current]?.id;
      const wantedShown = wanted === undefined || this.view.images.some(image => image.id === wanted);
      if (id !== null && index >= 0 && index !== values.current && wantedShown) {
        this.write({ current: index });
      }
      if (this.view.blinking !== values.blinking && this.view.images.length > 1) {
        this.write({ blinking: this.view.blinking });
      }
    }
    this.updateToolbar();
  }

  // --- the view written back ----------------------------------------------------------

  /** The user panned or zoomed (or may have): write `center` / `zoom_level` when it settles. */
  private userMovedView(): void {
    window.clearTimeout(this.viewTimer);
    this.viewTimer = window.setTimeout(() => this.writeView(), VIEW_DEBOUNCE_MS);
  }

  private writeView(): void {
    if (this.disposed || !this.view.reference || this.applying > 0) {
      return;
    }
    const read = readView(this.view);
    const values = this.values();
    let center = read.center;
    if (center && 'ra' in center) {
      center = { ra: traits.wrapRa(center.ra), dec: center.dec };
    }
    if (traits.centersDiffer(center, values.center) || traits.zoomsDiffer(read.zoom_level, values.zoom_level)) {
      this.write({ center, zoom_level: read.zoom_level });
    }
  }

  private resized(): void {
    const rect = this.host.getBoundingClientRect();
    const size = traits.viewSize(rect.width, rect.height);
    if (!size) {
      return;
    }
    if (!traits.sameJson(size, this.model.get('view_size'))) {
      this.write({ view_size: size });
    }
    // the view's own observer has resized the canvas; a view to fit is fitted again
    requestAnimationFrame(() => {
      const { center, zoom_level } = this.values();
      if (!this.disposed && zoom_level === null) {
        this.guarded(() => {
          this.view.fit();
          if (center !== null) {
            this.applyViewport();
          }
        });
      }
      this.markers.render();
      this.circles.render();
    });
  }

  // --- toolbar, keys, status ----------------------------------------------------------

  private part<T extends HTMLElement = HTMLElement>(name: string): T {
    return this.root.querySelector(`.roman-widget-${name}`) as T;
  }

  private bindToolbar(): void {
    this.part('previous').addEventListener('click', () => this.step(-1));
    this.part('next').addEventListener('click', () => this.step(1));
    this.part('blink').addEventListener('click', () => this.toggleBlink());
    this.part('pan').addEventListener('click', () => this.setTool('pan'));
    this.part('circle').addEventListener('click', () => this.setTool('circle'));
    this.part('dq').addEventListener('click', () => this.toggleDq());
    this.part('ramp').addEventListener('click', () => this.toggleRamps());
    this.part('fit').addEventListener('click', () => {
      this.view.fit();
      this.userMovedView();
    });
    this.part('mark').addEventListener('click', () => this.toggleMark());
    this.part<HTMLSelectElement>('picker').addEventListener('change', event => {
      const id = (event.target as HTMLSelectElement).value;
      const index = this.values().images.findIndex(entry => entry.id === id);
      if (index >= 0) {
        this.write({ current: index });
        this.guarded(() => this.applyStack());
        this.updateToolbar();
      }
    });
  }

  private bindInput(): void {
    const host = this.host;
    const moved = () => this.userMovedView();
    host.addEventListener('wheel', moved, { capture: true, passive: true });
    host.addEventListener('pointerup', moved, { capture: true });
    host.addEventListener(
      'pointermove',
      event => {
        if (event.buttons) {
          moved();
        }
      },
      { capture: true }
    );
    host.addEventListener(
      'keydown',
      event => {
        if (event.ctrlKey || event.metaKey || event.altKey) {
          return;
        }
        const own: Record<string, () => void> = {
          ' ': () => this.toggleBlink(),
          c: () => this.setTool('circle'),
          p: () => this.setTool('pan'),
          d: () => this.toggleDq(),
          r: () => this.toggleRamps()
        };
        const action = own[event.key];
        if (action) {
          event.preventDefault();
          event.stopPropagation();
          action();
        } else {
          moved(); // arrows, +/-, f, 1 move the view; n/N change the image (written by onStackChanged)
        }
      },
      { capture: true }
    );
  }

  private step(by: 1 | -1): void {
    if (by > 0) {
      this.view.next();
    } else {
      this.view.previous();
    }
    this.view.canvas.focus();
  }

  private toggleBlink(): void {
    const blinking = !this.values().blinking;
    if (blinking && this.values().images.length < 2) {
      this.showError('Blinking needs at least two images in the viewer.');
      return;
    }
    this.write({ blinking });
    this.guarded(() => this.applyBlink());
    this.updateToolbar();
  }

  private setTool(tool: 'pan' | 'circle'): void {
    this.circles.tool = tool;
    this.root.dataset.tool = tool;
    this.part('pan').setAttribute('aria-pressed', String(tool === 'pan'));
    this.part('circle').setAttribute('aria-pressed', String(tool === 'circle'));
  }

  private toggleDq(): void {
    const shown = !this.values().dq_overlay;
    this.write({ dq_overlay: shown });
    this.guarded(() => this.applyDq());
    this.updateToolbar();
  }

  private toggleMark(): void {
    const values = this.values();
    const id = this.view.current?.id;
    const index = values.images.findIndex(entry => entry.id === id);
    if (index < 0) {
      return;
    }
    const images = values.images.map((entry, i) => (i === index ? { ...entry, mark: entry.mark ? null : 'suspicious' } : entry));
    this.write({ images });
    this.guarded(() => this.applyStack());
    this.updateToolbar();
  }

  private updateToolbar(): void {
    if (this.disposed) {
      return;
    }
    const values = this.values();
    const view = this.view;
    const current = view.current;
    const count = view.images.length;
    const total = values.images.length;
    const loading = total - count;
    this.part('position').textContent = count ? `${view.currentIndex + 1} / ${count}${loading > 0 ? ` (+${loading})` : ''}` : '';
    for (const name of ['previous', 'next', 'blink']) {
      this.part<HTMLButtonElement>(name).disabled = count < 2;
    }
    const blink = this.part('blink');
    blink.textContent = view.blinking ? '❚❚' : '▶';
    blink.setAttribute('aria-pressed', String(view.blinking));
    const mark = this.part<HTMLButtonElement>('mark');
    mark.disabled = !current;
    mark.setAttribute('aria-pressed', String(!!current?.info.mark));
    this.part('dq').setAttribute('aria-pressed', String(values.dq_overlay));
    const name = this.part('name');
    ({ text: name.textContent, title: name.title } = this.session.currentName());
    const picker = this.part<HTMLSelectElement>('picker');
    const options = values.images.map(entry => {
      const shown = view.images.some(image => image.id === entry.id);
      return `${entry.id}\u0000${entry.name}${entry.mark ? ' ⚑' : ''}${shown ? '' : ' (loading)'}`;
    });
    const key = options.join('\u0001');
    if (key !== this.pickerKey) {
      this.pickerKey = key;
      picker.replaceChildren(
        ...options.map(option => {
          const [id, label] = option.split('\u0000');
          const element = document.createElement('option');
          element.value = id;
          element.textContent = label;
          element.disabled = label.endsWith(' (loading)');
          return element;
        })
      );
    }
    picker.value = current?.id ?? '';
    picker.hidden = total < 2;
    const empty = this.part('empty');
    empty.hidden = total > 0;
    empty.textContent = total > 0 ? '' : 'No images yet: v.load(path) adds Roman ASDF or FITS files, find_exposures(...) results or arrays.';
    Object.assign(this.root.dataset, {
      current: current?.id ?? '',
      stackSize: String(count),
      blinking: String(view.blinking),
      dq: String(values.dq_overlay)
    });
  }

  /** The conversions under way (`data-loading`: images not yet in the view). */
  private showProgress(): void {
    const progress = this.part('progress');
    const waiting = [...this.pending.values()].filter(p => !p.cancelled).length;
    this.root.dataset.loading = String(waiting);
    progress.hidden = waiting === 0;
    const active = this.loader.loading;
    const shown = active.find(p => p.started) ?? active[0];
    if (waiting === 0 || !shown) {
      return; // the rest are opened, being added to the view
    }
    const percent = Math.round(shown.progress * 100);
    const others = waiting > 1 ? ` (${waiting} images to go)` : '';
    this.part('progressLabel').textContent = `Converting ${shown.name}: ${shown.message} ${percent}%${others}`;
    const opened = waiting - active.length;
    const mean = (active.reduce((sum, p) => sum + p.progress, 0) + Math.max(0, opened)) / waiting;
    this.part('progressBar').style.width = `${Math.round(mean * 100)}%`;
  }

  /** An error in the widget (never silent): the latest few, each dismissable. */
  showError(message: string): void {
    if (this.disposed) {
      return;
    }
    const errors = this.part('errors');
    const last = errors.lastElementChild?.querySelector('span')?.textContent;
    if (last === message) {
      return;
    }
    const item = document.createElement('div');
    item.className = 'roman-widget-error';
    const text = document.createElement('span');
    text.textContent = message;
    const close = document.createElement('button');
    close.textContent = '×';
    close.title = 'Dismiss';
    close.addEventListener('click', () => {
      item.remove();
      this.root.dataset.errors = String(errors.childElementCount);
    });
    item.append(text, close);
    errors.appendChild(item);
    while (errors.childElementCount > MAX_ERRORS_SHOWN) {
      errors.firstElementChild!.remove();
    }
    this.root.dataset.errors = String(errors.childElementCount);
    console.warn(`roman-lab viewer: ${message}`);
  }

  private readonly host: HTMLElement;
  private readonly session: StackSession;
  private readonly view: ImageView;
  private readonly circles: CircleLayer;
  private readonly markers: MarkerLayer;
  private readonly loader: ImageLoader;
  private readonly ramps: RampSection;
  private rampsTimer = 0;
  private readonly resizeObserver: ResizeObserver;
  private readonly listeners: Array<[string, () => void]> = [];
  private readonly pending = new Map<string, IPending>();
  /** Image id -> the path whose conversion failed (not retried until the path changes). */
  private readonly failed = new Map<string, string>();
  /** Circle layer id <-> region id. */
  private readonly regionOf = new Map<number, string>();
  private readonly circleOf = new Map<string, number>();
  private applying = 0;
  private writing = 0;
  private heldCount = 0;
  private shownReference: string | null = null;
  private viewTimer = 0;
  private regionsTimer = 0;
  private regionsWritten = 0;
  private pickerKey = '';
  private disposed = false;
}

