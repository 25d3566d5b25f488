/**
 * The browser half of `roman_lab.Viewer`: the lab's viewer core (ImageView, CircleLayer)
 * in a notebook output, kept in step with the widget's traits (docs/state.md "Widget traits").
 *
 * Python -> browser: every trait is applied to the view (images converted through the page's
 * roman-lab server or the kernel, connection.ts; added as they become display-ready, removed
 * and reordered; the display, the view, circles, catalog markers, blinking, the DQ overlay).
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
import { applyView, IViewImage } from '../viewer/viewState';
import { ICatalogValue, MarkerLayer } from './markers';
import { RampSection } from './ramps';
import { ImageQueue } from './imageQueue';
import { RegionSync } from './regions';
import { KernelConnection } from './channel';
import { ConnectionMode, WidgetConnection } from './connection';
import { PageConnection } from './server';
import {
  applyBlink,
  applyDisplay,
  applyDq,
  applyStack,
  applyViewport,
  IModelValues,
  IWidgetModel,
  modelValues,
  stackChanges,
  viewportChanges
} from './applyTraits';
import { WidgetChrome } from './chrome';
import { injectStyle } from './style';
import * as traits from './traits';

/** Polling of display-ready conversions until complete (ms). */
const COMPLETE_POLL_MS = 800;
/** Conversions polled at once (the browser has ~6 connections per host; chunks need some). */
const CONVERSIONS_AT_ONCE = 3;
/** Quiet time after the user's last pan/zoom before the view is written to Python. */
const VIEW_DEBOUNCE_MS = 150;
/** Circles are written at most this often while dragged (and always at the end). */
const REGIONS_THROTTLE_MS = 40;

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

export class RomanWidget {
  readonly root: HTMLElement;

  constructor(
    private readonly model: IWidgetModel,
    el: HTMLElement
  ) {
    injectStyle(el.ownerDocument);
    this.kernel = new KernelConnection(model);
    const mode: ConnectionMode = model.get('connection') ?? 'auto';
    const server = new RomanServer(new WidgetConnection(new PageConnection(), this.kernel, mode));
    this.chrome = new WidgetChrome(el, {
      step: by => this.step(by),
      toggleBlink: () => this.toggleBlink(),
      setTool: tool => this.setTool(tool),
      toggleDq: () => this.toggleDq(),
      toggleRamps: () => this.toggleRamps(),
      fit: () => {
        this.view.fit();
        this.userMovedView();
      },
      toggleMark: () => this.toggleMark(),
      show: id => this.show(id),
      userMovedView: () => this.userMovedView()
    });
    this.root = this.chrome.root;
    this.host = this.chrome.host;

    this.session = new StackSession(this.host, {
      server,
      cacheBytes: 512 * 2 ** 20, // the lab's default chunkCacheMB: the view of ~100 full-size exposures at zoom 1
      onReadout: (text, status) => {
        this.ramps.hoverImagePixel(this.view.current?.id ?? '', status.x, status.y);
        this.chrome.readout = text;
      },
      onStackChanged: () => this.onStackChanged(),
      onCirclesChanged: circles => this.onCirclesChanged(circles),
      onError: message => this.showError(message),
      overlays: () => [this.markers]
    });
    this.view = this.session.view;
    this.circles = this.session.circles;
    this.regions = new RegionSync(this.view, this.circles, message => this.showError(message));
    this.markers = new MarkerLayer(this.host, (x, y) => this.view.imageToScreen(x, y));
    this.loader = new ImageLoader(server, {
      concurrency: CONVERSIONS_AT_ONCE,
      completePollMs: COMPLETE_POLL_MS,
      onChange: () => this.showProgress(),
      onPublished: () => this.view.refreshLevels()
    });
    this.queue = new ImageQueue(this.loader, this.view, {
      add: (entry, store, cancelled) => this.addToView(entry, store, cancelled),
      changed: () => {
        this.showProgress();
        this.updateToolbar();
      },
      onError: message => this.showError(message),
      disposed: () => this.disposed
    });
    this.ramps = new RampSection(server, {
      onClose: () => {
        this.write({ ramp_selection: null });
        this.applyRamps();
      },
      onHoverPixel: (pixel, imageId) => this.session.pixelMarker.set(pixel && this.view.current?.id === imageId ? [pixel] : []),
      onError: message => this.showError(message)
    });
    this.chrome.part('errors').before(this.ramps.node);

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
    this.queue.cancelAll();
    window.clearTimeout(this.viewTimer);
    window.clearTimeout(this.regionsTimer);
    this.resizeObserver.disconnect();
    window.clearTimeout(this.rampsTimer);
    this.markers.dispose();
    this.ramps.dispose();
    this.session.dispose();
    this.kernel.dispose();
    this.root.remove();
  }

  // --- the traits ---------------------------------------------------------------------

  /** The view values as the model has them now (and `blinking`). */
  private values(): IModelValues {
    return modelValues(this.model);
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
          applyStack(this.view, this.values());
          break;
        case 'display':
        case 'sync_stretch':
        case 'limits':
        case 'image_display':
          applyDisplay(this.view, this.values());
          break;
        case 'center':
        case 'zoom_level':
          applyViewport(this.view, this.values());
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
          applyBlink(this.view, this.values());
          break;
        case 'dq_overlay':
          applyDq(this.view, this.values());
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

  // --- images -------------------------------------------------------------------------

  /** Starts conversions of new images, takes out the gone ones, then orders the stack. */
  private syncImages(): void {
    const values = this.values();
    // the image on screen and the reference first, then in stack order
    const remove = this.queue.sync(values.images, new Set([traits.currentId(values), values.reference]));
    this.guarded(() => {
      for (const id of remove) {
        this.view.remove(id);
      }
      applyStack(this.view, this.values());
    });
    this.showProgress();
    this.updateToolbar();
  }

  /** A display-ready image joins the view with the display, place and overlays of the traits. */
  private async addToView(entry: IViewImage, store: RomanStore, cancelled: () => boolean): Promise<void> {
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
    if (cancelled()) {
      this.guarded(() => this.view.remove(image.id));
      return;
    }
    this.guarded(() => {
      const values = this.values();
      if (this.view.images.length === 1) {
        applyDisplay(this.view, values);
      } else if (!this.view.syncDisplay) {
        applyView(this.view, { image_display: { [image.id]: values.image_display[image.id] ?? values.display } });
      }
      applyStack(this.view, values);
      if (this.view.images.length === 1 && values.blinking) {
        applyBlink(this.view, values);
      }
      applyDq(this.view, values);
      if (Object.values(values.catalogs as Record<string, ICatalogValue>).some(c => c.frame !== null)) {
        this.applyCatalogs();
      }
    });
    this.root.dataset.ready = String(this.view.images.length);
    this.updateToolbar();
  }

  // --- circles ------------------------------------------------------------------------

  /** The circles of `regions` on the view (by id: moved, added, removed). */
  private applyRegions(): void {
    this.regions.apply(this.values().regions);
    this.root.dataset.circles = String(this.circles.circles.length);
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
    const regions = this.regions.read();
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
    const request = traits.rampRequest(values);
    this.chrome.showRamps(!!values.ramp_selection);
    if (typeof request === 'string') {
      this.ramps.hide();
      this.showError(request);
    } else if (request === null) {
      this.ramps.hide();
      this.session.pixelMarker.set([]);
    } else {
      this.ramps.show(request);
    }
  }

  /** Opens the ramps of the selected (else the last) circle on the exposure on screen, or closes them. */
  private toggleRamps(): void {
    const values = this.values();
    if (values.ramp_selection) {
      this.write({ ramp_selection: null });
      this.applyRamps();
      return;
    }
    const selected = this.circles.selected;
    const selection = traits.rampSelection(values, this.view.current?.id ?? null, selected !== null ? this.regions.regionOf(selected) : undefined);
    if (typeof selection === 'string') {
      this.showError(selection);
      return;
    }
    this.write({ ramp_selection: selection });
    this.applyRamps();
  }

  // --- catalogs -----------------------------------------------------------------------

  private applyCatalogs(): void {
    const shown = this.markers.showCatalogs(this.view, this.values().catalogs as Record<string, ICatalogValue>);
    this.root.dataset.markers = String(shown);
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
        applyViewport(this.view, this.values());
        this.applyRegions();
        this.applyCatalogs();
      });
    }
    if (this.applying === 0 && !structural) {
      const changes = stackChanges(this.view, this.values());
      if (Object.keys(changes).length > 0) {
        this.write(changes);
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
    const changes = viewportChanges(this.view, this.values());
    if (changes) {
      this.write(changes);
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
            applyViewport(this.view, this.values());
          }
        });
      }
      this.markers.render();
      this.circles.render();
    });
  }

  // --- toolbar, keys, status ----------------------------------------------------------

  /** The picker chose the image on screen. */
  private show(id: string): void {
    const index = this.values().images.findIndex(entry => entry.id === id);
    if (index >= 0) {
      this.write({ current: index });
      this.guarded(() => applyStack(this.view, this.values()));
      this.updateToolbar();
    }
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
    this.guarded(() => applyBlink(this.view, this.values()));
    this.updateToolbar();
  }

  private setTool(tool: 'pan' | 'circle'): void {
    this.circles.tool = tool;
    this.chrome.showTool(tool);
  }

  private toggleDq(): void {
    const shown = !this.values().dq_overlay;
    this.write({ dq_overlay: shown });
    this.guarded(() => applyDq(this.view, this.values()));
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
    this.guarded(() => applyStack(this.view, this.values()));
    this.updateToolbar();
  }

  private updateToolbar(): void {
    if (!this.disposed) {
      this.chrome.render(this.values(), this.session);
    }
  }

  private showProgress(): void {
    this.chrome.showProgress(this.queue.waiting, this.loader.loading);
  }

  /** An error in the widget (never silent). */
  showError(message: string): void {
    if (!this.disposed) {
      this.chrome.showError(message);
    }
  }

  private readonly chrome: WidgetChrome;
  private readonly host: HTMLElement;
  private readonly session: StackSession;
  private readonly view: ImageView;
  private readonly circles: CircleLayer;
  private readonly markers: MarkerLayer;
  private readonly loader: ImageLoader;
  private readonly ramps: RampSection;
  private rampsTimer = 0;
  private readonly resizeObserver: ResizeObserver;
  private readonly kernel: KernelConnection;
  private readonly listeners: Array<[string, () => void]> = [];
  private readonly queue: ImageQueue;
  private readonly regions: RegionSync;
  private applying = 0;
  private writing = 0;
  private heldCount = 0;
  private shownReference: string | null = null;
  private viewTimer = 0;
  private regionsTimer = 0;
  private regionsWritten = 0;
  private disposed = false;
}

