/**
 * The main-area content for one Roman file: asks the server for its store, shows the
 * conversion's progress, then the image view with a status line.
 */
import { Notification } from '@jupyterlab/apputils';
import { Contents } from '@jupyterlab/services';
import { PromiseDelegate } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { romanProduct, stackKind } from '../viewer/products';
import { STRETCH_NAMES, StretchName } from '../viewer/math/stretch';
import { CircleLayer, ICircle } from '../viewer/circles';
import { ISkyCircle } from '../viewer/math/regions';
import { TanSipWcs } from '../viewer/math/wcs';
import { mark } from '../viewer/marks';
import { ImageLoader } from '../viewer/session/loader';
import { StackSession } from '../viewer/session/session';
import { IImageInfo, IStatus, ImageView } from '../viewer/view';
import { applyView, circleToSky, IStateFile, skyToCircle } from '../viewer/viewState';
import { viewAsPng } from './png';
import { buildStateFile, IReadState, isStateFile, readStateFile } from './stateFile';
import { labServer } from './server';
import { ViewerChrome } from './viewerChrome';

export interface IViewerDefaults {
  stretch: string;
  colormap: string;
  percentile: number;
  /** Bound of the chunk cache (each chunk is also a GPU texture). */
  chunkCacheMB: number;
  /** Seconds each image shows in a timed blink. */
  blinkInterval: number;
}

/** Images of a stack being converted or opened at once. */
const PREPARE_CONCURRENCY = 4;
/** Polling of display-ready conversions until complete (ms). */
const COMPLETE_POLL_MS = 300;

export class RomanViewerWidget extends Widget {
  constructor(
    readonly path: string,
    private readonly contents: Contents.IManager
  ) {
    super();
    mark('widget', path);
    const product = romanProduct(path);
    this.addClass('jp-RomanViewer');
    this.title.label = product.name;
    this.title.caption = `${product.label}: ${path}`;
    this.chrome = new ViewerChrome(this.node, product.name, {
      previous: () => this.view?.previous(),
      next: () => this.view?.next(),
      toggleBlink: () => this.toggleBlink()
    });
    this.chrome.showProgress(0, 'Asking the server for this file…');
  }

  /** The image view, once the store is display-ready. */
  get imageView(): ImageView | null {
    return this.session?.view ?? null;
  }

  private get view(): ImageView | null {
    return this.session?.view ?? null;
  }

  private get circleLayer(): CircleLayer | null {
    return this.session?.circles ?? null;
  }

  /**
   * Shows the file: a Roman file or FITS image is converted (or its store joined) and drawn
   * as soon as it can be; a state file (NAME.romanview.json) restores the view it holds.
   */
  async load(): Promise<void> {
    mark('load', this.path);
    if (isStateFile(this.path)) {
      return this.restore(this.path);
    }
    return this.openFirst(this.path, this.imageInfo(this.path));
  }

  /** Opens the first image of the stack (the reference frame). */
  private async openFirst(path: string, info: Partial<IImageInfo>): Promise<void> {
    try {
      const opened = await this.loader.open(path, romanProduct(path).name, () => this.isDisposed);
      if (!opened || this.isDisposed) {
        return;
      }
      const { store } = opened;
      if (store.attrs.level === 1) {
        const [n, ny, nx] = store.attrs.shape;
        this.chrome.showNotice(
          `${romanProduct(path).name} is a Level 1 ramp file (${n} resultants of ${nx} x ${ny} pixels). ` +
            'Open its Level 2 exposure (_cal) to see the image; the ramps of the pixels in a circle come from there.'
        );
        return;
      }
      // made after the server's answer, not while it converts: on 2 cores software WebGL's
      // context and shaders then slowed the conversion more than they cost here (performance.md)
      const session = this.newSession();
      this.session = session;
      await session.view.add(store, info);
      this.referenceId = session.view.reference?.id ?? null;
      this.applyStretch();
      this.chrome.hideProgress();
      this.node.dataset.ready = 'display';
      await opened.complete;
      if (!this.isDisposed) {
        this.node.dataset.ready = 'complete';
      }
      this.firstLoaded.resolve();
    } catch (error) {
      const message = (error as Error).message;
      this.chrome.showError(message);
      Notification.error(message, { autoClose: false });
      this.firstLoaded.reject(error);
    }
  }

  /** The view of this document's stack, with its circles, readout and callbacks. */
  private newSession(): StackSession {
    const session = new StackSession(this.chrome.canvasHost, {
      server: labServer,
      cacheBytes: (this.defaults?.chunkCacheMB ?? 512) * 2 ** 20,
      canvasKeys: false, // the viewer's keys are commands (viewerKeys.ts), changed or removed in Settings
      onReadout: (text, status) => this.showStatus(text, status),
      onDisplayChanged: () => this.displayChanged.emit(undefined),
      onStackChanged: () => this.onStackChanged(),
      onCirclesChanged: (circles, selected) => this.circlesChangedSignal.emit({ circles, selected }),
      onError: message => Notification.error(message, { autoClose: 5000 })
    });
    session.circles.tool = this.tool;
    return session;
  }

  /**
   * Adds images to the blink stack (root-relative paths of L2/L3 ASDF or FITS files), all
   * converting at once on the server, each joining the stack as soon as it can be drawn,
   * in the order given. Images already in the stack are skipped. Resolves with how many
   * joined; failures are notified one by one and the rest go on.
   */
  async addImages(
    paths: string[],
    options: { wcsFrom?: string | null; infos?: Record<string, Partial<IImageInfo>> } = {}
  ): Promise<number> {
    await this.firstLoaded.promise;
    const view = this.session?.view;
    if (!view) {
      return 0;
    }
    const present = new Set(view.images.map(image => image.info.path));
    const todo = [...new Set(paths)].filter(path => !present.has(path) && !this.pending.has(path));
    todo.forEach(path => this.pending.add(path));
    this.showLoading();
    // a few at a time, in order (the loader's concurrency): the server converts with a couple
    // of workers anyway, and a poll loop per queued file would flood it
    const jobs = todo.map(path => this.loader.open(path, romanProduct(path).name, () => this.isDisposed));
    let added = 0;
    for (const [i, job] of jobs.entries()) {
      const path = todo[i];
      try {
        const opened = await job;
        if (!opened || this.isDisposed) {
          break;
        }
        const store = opened.store;
        if (store.attrs.level === 1) {
          throw new Error(`${romanProduct(path).name} is a Level 1 ramp file: blink its Level 2 exposure (_cal) instead.`);
        }
        const info = { ...this.imageInfo(path), ...options.infos?.[path] };
        if (!store.attrs.fits_wcs && info.kind === 'user' && info.wcsFrom === undefined) {
          info.wcsFrom = options.wcsFrom ?? view.current?.id ?? null;
        }
        await view.add(store, info);
        added++;
        opened.complete.catch(error =>
          Notification.error(`The full resolution of ${romanProduct(path).name} could not be made: ${(error as Error).message}`, {
            autoClose: 8000
          })
        );
      } catch (error) {
        Notification.error(`${romanProduct(path).name} was not added to the stack: ${(error as Error).message}`, { autoClose: 8000 });
      } finally {
        this.pending.delete(path);
        this.showLoading();
      }
    }
    return added;
  }

  /** What the stack shows of an image before its store says more. */
  private imageInfo(path: string): Partial<IImageInfo> & { kind: IImageInfo['kind'] } {
    return { id: path, path, name: romanProduct(path).name, kind: stackKind(path) };
  }

  private showLoading(): void {
    this.chrome.showAdding(this.pending.size);
  }

  /** Starts or stops the timed blink (the interval is a setting, in seconds). */
  toggleBlink(): void {
    const view = this.view;
    if (!view) {
      return;
    }
    if (view.blinking) {
      view.stopBlink();
    } else {
      view.blink(this.blinkSeconds * 1000);
    }
  }

  /** Seconds per image in a timed blink. */
  get blinkSeconds(): number {
    return this.blinkIntervalSeconds;
  }

  set blinkSeconds(seconds: number) {
    this.blinkIntervalSeconds = Math.max(0.05, seconds);
    if (this.view?.blinking) {
      this.view.blink(this.blinkIntervalSeconds * 1000);
    }
  }

  /** The stack changed: names, counter, circles kept on the sky if the reference changed. */
  private onStackChanged(): void {
    const session = this.session;
    if (!session) {
      return;
    }
    this.chrome.showStack(session);
    const reference = session.view.reference;
    if (reference && reference.id !== this.referenceId) {
      this.keepCirclesOnSky(this.referenceId, reference.id);
      this.referenceId = reference.id;
    }
    this.stackChangedSignal.emit(undefined);
  }

  /** Circles live in reference pixels: move them through the sky to the new reference. */
  private keepCirclesOnSky(fromId: string | null, toId: string): void {
    const view = this.view;
    const layer = this.circleLayer;
    const fromImage = fromId === null ? null : view?.images.find(image => image.id === fromId);
    const toImage = view?.images.find(image => image.id === toId);
    const from = fromImage && view?.wcsOf(fromImage);
    const to = toImage && view?.wcsOf(toImage);
    if (!layer || !from || !to) {
      return;
    }
    for (const circle of layer.circles) {
      const [ra, dec] = from.pixelToWorld(circle.x, circle.y);
      const [x, y] = to.worldToPixel(ra, dec);
      const r = (circle.r * from.pixelScaleAt(circle.x, circle.y)) / to.pixelScaleAt(x, y);
      layer.update(circle.id, { x, y, r });
    }
  }

  /**
   * The view as a state file to be saved at `statePath` (docs/state.md): the stack with paths
   * relative to the state file's folder, display, centre and zoom, circles, blink interval.
   */
  stateFile(statePath: string): IStateFile {
    const view = this.view;
    if (!view) {
      throw new Error('The image is not shown yet: there is no view to save.');
    }
    const extras = { circles: this.circleLayer?.circles ?? [], blinkSeconds: this.blinkIntervalSeconds, rampSelection: this.rampSelection };
    return buildStateFile(view, extras, statePath);
  }

  /**
   * Restores a state file: its images are opened by path (relative to the state file, then
   * the absolute path when saved), the missing ones listed; everything else as saved.
   */
  private async restore(statePath: string): Promise<void> {
    let read: IReadState;
    try {
      this.chrome.showProgress(0, `Reading ${romanProduct(statePath).name}…`);
      read = await readStateFile(this.contents, statePath);
    } catch (error) {
      const message = `${statePath} cannot be restored: ${(error as Error).message}`;
      this.chrome.showError(message);
      Notification.error(message, { autoClose: false });
      this.firstLoaded.reject(error);
      return;
    }
    const { state, found, missing } = read;
    if (found.length === 0) {
      const message = `None of the ${state.images.length} images of ${statePath} was found (${missing.join(', ')}).`;
      this.chrome.showError(message);
      Notification.error(message, { autoClose: false });
      this.firstLoaded.reject(new Error(message));
      return;
    }
    const first = found.find(f => f.info.id === state.reference) ?? found[0];
    await this.openFirst(first.path, first.info);
    const rest = found.filter(f => f !== first);
    await this.addImages(
      rest.map(f => f.path),
      { infos: Object.fromEntries(rest.map(f => [f.path, f.info])) }
    );
    const view = this.view;
    if (!view) {
      return;
    }
    const kept = state.images.filter(entry => view.images.some(image => image.id === entry.id));
    const current = state.images[state.current];
    applyView(view, {
      ...state,
      images: kept,
      current: Math.max(0, kept.findIndex(entry => entry.id === current?.id)),
      reference: kept.some(entry => entry.id === state.reference) ? state.reference : null,
      image_display: Object.fromEntries(Object.entries(state.image_display).filter(([id]) => kept.some(e => e.id === id)))
    });
    this.blinkSeconds = state.blink_interval;
    const circleIds = new Map<string, number>();
    for (const region of state.regions) {
      const circle = skyToCircle(view, region);
      const added = circle && this.circleLayer?.add(circle.x, circle.y, circle.r);
      if (added && region.id !== undefined) {
        circleIds.set(region.id, added.id);
      }
    }
    if (state.dq_overlay !== this.dqShown) {
      this.toggleDq();
    }
    const ramps = state.ramp_selection;
    const rampCircle = ramps ? circleIds.get(ramps.region) : undefined;
    if (ramps && rampCircle !== undefined && view.images.some(i => i.id === ramps.image)) {
      view.setCurrent(ramps.image);
      this.circleLayer?.select(rampCircle);
      this.rampsWantedSignal.emit(undefined);
    }
    this.node.dataset.restored = String(view.images.length);
    if (missing.length) {
      Notification.warning(`Restored without ${missing.length} missing image(s): ${missing.join(', ')}`, { autoClose: false });
    }
  }

  /** The ramp panel shows the ramps of this circle on this image (kept in the saved state). */
  setRampSelection(selection: { imageId: string; circleId: number } | null): void {
    this.rampSelection = selection;
  }

  /** A restored state had the ramp panel open: the current image and circle are set, show it. */
  get rampsWanted(): ISignal<this, void> {
    return this.rampsWantedSignal;
  }

  /** The id of the selected circle (or the only one), or null. */
  get selectedCircleId(): number | null {
    const layer = this.circleLayer;
    const circles = layer?.circles ?? [];
    return circles.find(c => c.id === layer?.selected)?.id ?? (circles.length === 1 ? circles[0].id : null);
  }

  /** Outlines pixels of the current image (the ramp panel's hovered pixel); [] clears. */
  markPixels(pixels: Array<[number, number]>): void {
    this.session?.pixelMarker.set(pixels);
  }

  /** The pixel of the current image under the pointer (null when it leaves the image). */
  get pixelHovered(): ISignal<this, { imageId: string; x: number; y: number } | null> {
    return this.pixelHoveredSignal;
  }

  /** The selected circle on the sky (or the only one), for the ramps and Python. */
  selectedSkyCircle(): ISkyCircle | null {
    const id = this.selectedCircleId;
    const circle = this.circleLayer?.circles.find(c => c.id === id);
    return circle ? this.toSky(circle) : null;
  }

  /** The stack changed (images, order, marks, current image, reference, blinking). */
  get stackChanged(): ISignal<this, void> {
    return this.stackChangedSignal;
  }

  /** Shows or hides the DQ overlay (every flag). */
  toggleDq(): boolean {
    this.dqShown = !this.dqShown && !!this.view?.hasDq;
    this.view?.setDqOverlay(this.dqShown ? 0xffffffff : 0);
    this.node.dataset.dq = String(this.dqShown);
    this.dqChanged.emit(this.dqShown);
    return this.dqShown;
  }

  /** The DQ overlay was shown (true) or hidden. */
  readonly dqChanged = new Signal<this, boolean>(this);

  /** The reference image's WCS: circles and the view live in its pixels. */
  private get wcs(): TanSipWcs | null {
    const reference = this.view?.reference;
    return (reference && this.view?.wcsOf(reference)) ?? null;
  }

  /** A circle in sky coordinates: centre through the WCS, radius with the local pixel scale. */
  toSky(circle: ICircle): ISkyCircle | null {
    const sky = this.view && circleToSky(this.view, circle);
    return sky ? { ra: sky.ra, dec: sky.dec, radiusArcsec: sky.radius_arcsec, frame: 'icrs' } : null;
  }

  /** Adds a sky circle (DS9 import, Python); false when it is off this image or there is no WCS. */
  addSkyCircle(circle: ISkyCircle): boolean {
    const pixels = this.view && skyToCircle(this.view, { ra: circle.ra, dec: circle.dec, radius_arcsec: circle.radiusArcsec });
    if (!pixels || !this.circleLayer) {
      return false;
    }
    this.circleLayer.add(pixels.x, pixels.y, pixels.r);
    return true;
  }

  /** Centres the view on a sky position; false when it is not on the sky this image covers. */
  centerOnSky(ra: number, dec: number): boolean {
    const shape = this.view?.imageShape;
    if (!this.wcs || !this.view || !shape) {
      return false;
    }
    const [x, y] = this.wcs.worldToPixel(ra, dec);
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      return false;
    }
    this.view.setView(x, y, this.view.view.zoom);
    const margin = 0.5;
    return x >= -margin && y >= -margin && x <= shape[1] - 1 + margin && y <= shape[0] - 1 + margin;
  }

  /** Stretch, interval or colormap changed (the sidebar redraws its controls and colorbar). */
  readonly displayChanged = new Signal<this, void>(this);

  /** The circles drawn on this image (image pixels) and the selected one's id. */
  get circlesChanged(): ISignal<this, { circles: ICircle[]; selected: number | null }> {
    return this.circlesChangedSignal;
  }

  get circles(): CircleLayer | null {
    return this.circleLayer;
  }

  /** What a drag on empty image does: pan, or draw a circle. */
  setTool(tool: 'pan' | 'circle'): void {
    if (tool === this.tool && this.node.dataset.tool === tool) {
      return;
    }
    this.tool = tool;
    if (this.circleLayer) {
      this.circleLayer.tool = tool;
    }
    this.node.dataset.tool = tool;
    this.toolChangedSignal.emit(tool);
  }

  get toolChanged(): ISignal<this, 'pan' | 'circle'> {
    return this.toolChangedSignal;
  }

  /** The current view as a PNG (image, circles, file name), as base64 without a data: prefix. */
  async viewAsPng(): Promise<string> {
    if (!this.view) {
      throw new Error('The image is not shown yet.');
    }
    const name = this.view.current?.info.name ?? romanProduct(this.path).name;
    return viewAsPng(this.view, this.circleLayer?.circles ?? [], this.circleLayer?.selected ?? null, name);
  }

  setDefaults(defaults: IViewerDefaults): void {
    this.defaults = defaults;
    this.blinkSeconds = defaults.blinkInterval;
    this.applyStretch();
  }

  /** The settings' display defaults (astropy's default parameter for the stretch). */
  private applyStretch(): void {
    const defaults = this.defaults;
    if (!this.view || !defaults || !STRETCH_NAMES.includes(defaults.stretch as StretchName)) {
      return;
    }
    this.view.setDisplay({
      stretch: { name: defaults.stretch as StretchName },
      interval: { kind: 'percentile', percentile: defaults.percentile },
      colormap: defaults.colormap
    });
  }

  protected onActivateRequest(): void {
    (this.view?.canvas ?? this.node).focus();
  }

  dispose(): void {
    this.loader.dispose();
    this.session?.dispose();
    this.session = null;
    super.dispose();
  }

  /** The first image's conversion, until it is drawn. */
  private showLoaderProgress(): void {
    const first = this.loader.loading[0];
    if (!this.session && first?.started) {
      this.chrome.showProgress(first.progress, `Converting ${first.name}: ${first.message}`);
    }
  }

  private showStatus(text: string, status: IStatus): void {
    const imageId = this.view?.current?.id;
    this.pixelHoveredSignal.emit(status.x === null || status.y === null || !imageId ? null : { imageId, x: status.x, y: status.y });
    this.chrome.showReadout(text);
  }

  private readonly chrome: ViewerChrome;
  private session: StackSession | null = null;
  /** Converts and opens the images; its progress shows until the first image is drawn. */
  private readonly loader = new ImageLoader(labServer, {
    concurrency: PREPARE_CONCURRENCY,
    completePollMs: COMPLETE_POLL_MS,
    onChange: () => this.showLoaderProgress(),
    onPublished: () => this.view?.refreshLevels() ?? Promise.resolve()
  });
  private dqShown = false;
  private referenceId: string | null = null;
  private readonly pending = new Set<string>();
  private blinkIntervalSeconds = 0.5;
  private readonly firstLoaded = new PromiseDelegate<void>();
  private readonly stackChangedSignal = new Signal<this, void>(this);
  private readonly pixelHoveredSignal = new Signal<this, { imageId: string; x: number; y: number } | null>(this);
  private rampSelection: { imageId: string; circleId: number } | null = null;
  private readonly rampsWantedSignal = new Signal<this, void>(this);
  private tool: 'pan' | 'circle' = 'pan';
  private readonly toolChangedSignal = new Signal<this, 'pan' | 'circle'>(this);
  private readonly circlesChangedSignal = new Signal<this, { circles: ICircle[]; selected: number | null }>(this);
  private defaults: IViewerDefaults | null = null;
}
