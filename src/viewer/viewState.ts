/**
 * The view as the JSON values of docs/state.md: what the notebook widget syncs with Python
 * and what a `NAME.romanview.json` state file holds. Reading them from an ImageView and
 * applying them to one lives here, so the lab viewer and the widget agree on every key.
 */
import { ICircle } from './circles';
import { IStretchSpec, Interval, STRETCH_NAMES, StretchName } from './math/stretch';
import { TanSipWcs } from './math/wcs';
import { IDisplaySettings, IImageInfo } from './stackImage';
import { ImageView, LimitsMode } from './view';

export const STATE_FORMAT = 'roman-lab-view';
export const STATE_VERSION = 1;

export interface IDisplayValue {
  stretch: { name: StretchName; a?: number };
  interval: Interval;
  colormap: string;
}

export interface ICircleValue {
  ra: number;
  dec: number;
  radius_arcsec: number;
  id?: string;
}

export interface IViewImage {
  id: string;
  /** Widget: absolute; state file: relative to the state file's folder. */
  path: string;
  /** State file only: the absolute path when saved (the fallback). */
  absolute_path?: string;
  name: string;
  kind: 'exposure' | 'mosaic' | 'ramp' | 'user';
  wcs_from: string | null;
  mark: 'suspicious' | null;
  meta: { time: string | null; detector: string | null; level: number | null };
}

export interface IViewValues {
  images: IViewImage[];
  current: number;
  reference: string | null;
  display: IDisplayValue;
  sync_stretch: boolean;
  limits: LimitsMode;
  image_display: Record<string, IDisplayValue>;
  center: { ra: number; dec: number } | { x: number; y: number } | null;
  zoom_level: number | null;
  regions: ICircleValue[];
  catalogs: Record<string, unknown>;
  blink_interval: number;
  dq_overlay: boolean;
  ramp_selection: { image: string; region: string } | null;
}

/** A state file: the view values with their format and version. */
export interface IStateFile extends IViewValues {
  format: typeof STATE_FORMAT;
  version: number;
  saved?: string;
}

export const DEFAULT_DISPLAY_VALUE: IDisplayValue = {
  stretch: { name: 'linear' },
  interval: { kind: 'percentile', percentile: 99.5 },
  colormap: 'gray'
};

/** The value of each view value a state file or the widget's model leaves out (a new object each time). */
export function viewDefaults(): IViewValues {
  return {
    images: [],
    current: 0,
    reference: null,
    display: DEFAULT_DISPLAY_VALUE,
    sync_stretch: true,
    limits: 'per-image',
    image_display: {},
    center: null,
    zoom_level: null,
    regions: [],
    catalogs: {},
    blink_interval: 0.5,
    dq_overlay: false,
    ramp_selection: null
  };
}

/** The viewer's display settings from a display value (matplotlib's "gray" is our "grey"). */
export function displayToSettings(value: IDisplayValue): IDisplaySettings {
  const name = value.stretch?.name;
  if (!STRETCH_NAMES.includes(name)) {
    throw new Error(`display.stretch.name must be one of ${STRETCH_NAMES.join(', ')}, not ${JSON.stringify(name)}`);
  }
  const stretch = (value.stretch.a === undefined || value.stretch.a === null ? { name } : { name, a: value.stretch.a }) as IStretchSpec;
  return {
    stretch,
    interval: value.interval ?? DEFAULT_DISPLAY_VALUE.interval,
    colormap: (value.colormap ?? 'gray').replace(/^gray/, 'grey')
  };
}

/** A display value from the viewer's settings (colormap named as matplotlib does). */
export function settingsToDisplay(settings: Readonly<IDisplaySettings>): IDisplayValue {
  const stretch: IDisplayValue['stretch'] = { name: settings.stretch.name };
  if (settings.stretch.a !== undefined) {
    stretch.a = settings.stretch.a;
  }
  return { stretch, interval: { ...settings.interval }, colormap: settings.colormap.replace(/^grey/, 'gray') };
}

/** An image entry for a stack image (its path as the stack knows it). */
export function imageValue(info: Readonly<IImageInfo>, level: number | null): IViewImage {
  return {
    id: info.id,
    path: info.path,
    name: info.name,
    kind: info.kind,
    wcs_from: info.wcsFrom,
    mark: info.mark,
    meta: { time: info.time, detector: info.detector, level }
  };
}

/** Everything of the view values an ImageView knows (not regions, catalogs or the ramp panel). */
export function readView(
  view: ImageView
): Pick<
  IViewValues,
  'images' | 'current' | 'reference' | 'display' | 'sync_stretch' | 'limits' | 'image_display' | 'center' | 'zoom_level' | 'dq_overlay'
> {
  const images = view.images.map(image => imageValue(image.info, image.store.attrs.level ?? null));
  const reference = view.reference;
  const wcs = reference ? view.wcsOf(reference) : null;
  const { centerX, centerY, zoom } = view.view;
  let center: IViewValues['center'] = null;
  if (reference) {
    if (wcs) {
      const [ra, dec] = wcs.pixelToWorld(centerX, centerY);
      center = { ra, dec };
    } else {
      center = { x: centerX, y: centerY };
    }
  }
  const imageDisplay: Record<string, IDisplayValue> = {};
  if (!view.syncDisplay) {
    for (const image of view.images) {
      imageDisplay[image.id] = settingsToDisplay(image.display);
    }
  }
  return {
    images,
    current: Math.max(0, view.currentIndex),
    reference: reference?.id ?? null,
    display: settingsToDisplay(view.displaySettings),
    sync_stretch: view.syncDisplay,
    limits: view.limitsModeValue,
    image_display: imageDisplay,
    center,
    zoom_level: reference ? zoom / devicePixelRatio : null,
    dq_overlay: view.dqOverlayBits !== 0
  };
}

/**
 * Applies view values to an ImageView whose stack already holds the images (matched by id;
 * ids not in the stack are ignored): marks and borrowed WCSs, reference, current, display,
 * centre and zoom, DQ overlay. Absent keys leave the view as it is.
 */
export function applyView(view: ImageView, values: Partial<IViewValues>): void {
  for (const entry of values.images ?? []) {
    const image = view.images.find(i => i.id === entry.id);
    if (image) {
      if (image.info.mark !== entry.mark) {
        view.mark(image.id, entry.mark ?? null);
      }
      if (image.info.wcsFrom !== (entry.wcs_from ?? null)) {
        view.borrowWcs(image.id, entry.wcs_from ?? null);
      }
    }
  }
  if (values.images) {
    values.images.forEach((entry, index) => {
      if (view.images[index]?.id !== entry.id && view.images.some(i => i.id === entry.id)) {
        view.move(entry.id, index);
      }
    });
  }
  if (values.reference && view.reference?.id !== values.reference && view.images.some(i => i.id === values.reference)) {
    view.setReference(values.reference);
  }
  if (values.current !== undefined && values.current !== view.currentIndex && values.current < view.images.length) {
    view.setCurrent(values.current);
  }
  if (values.sync_stretch !== undefined && values.sync_stretch !== view.syncDisplay) {
    view.syncDisplay = values.sync_stretch;
  }
  if (values.display) {
    const settings = displayToSettings(values.display);
    if (JSON.stringify(settingsToDisplay(view.displaySettings)) !== JSON.stringify(settingsToDisplay(settings))) {
      view.setDisplay(settings);
    }
  }
  if (values.image_display && !view.syncDisplay) {
    const current = view.current;
    for (const [id, display] of Object.entries(values.image_display)) {
      if (view.images.some(i => i.id === id)) {
        view.setCurrent(id);
        view.setDisplay(displayToSettings(display));
      }
    }
    if (current) {
      view.setCurrent(current.id);
    }
  }
  if (values.limits && values.limits !== view.limitsModeValue) {
    view.setLimitsMode(values.limits);
  }
  const reference = view.reference;
  const wcs = reference ? view.wcsOf(reference) : null;
  let [cx, cy] = [view.view.centerX, view.view.centerY];
  if (values.center && 'ra' in values.center && wcs) {
    [cx, cy] = wcs.worldToPixel(values.center.ra, values.center.dec);
  } else if (values.center && 'x' in values.center) {
    [cx, cy] = [values.center.x, values.center.y];
  }
  if (values.zoom_level === null && values.center === null) {
    view.fit();
  } else if ((values.center || values.zoom_level) && Number.isFinite(cx) && Number.isFinite(cy)) {
    const zoom = values.zoom_level ? values.zoom_level * devicePixelRatio : view.view.zoom;
    view.setView(cx, cy, zoom);
  }
  if (values.dq_overlay !== undefined && values.dq_overlay !== (view.dqOverlayBits !== 0)) {
    view.setDqOverlay(values.dq_overlay ? 0xffffffff : 0);
  }
}

/** The reference image's WCS (circles and the view live in its pixels). */
function referenceWcs(view: ImageView): TanSipWcs | null {
  const reference = view.reference;
  return reference ? view.wcsOf(reference) : null;
}

/** A circle of reference pixels on the sky (null without a reference WCS). */
export function circleToSky(view: ImageView, circle: Pick<ICircle, 'x' | 'y' | 'r'>): ICircleValue | null {
  const wcs = referenceWcs(view);
  if (!wcs) {
    return null;
  }
  const [ra, dec] = wcs.pixelToWorld(circle.x, circle.y);
  return { ra, dec, radius_arcsec: circle.r * wcs.pixelScaleAt(circle.x, circle.y) };
}

/** A sky circle in reference pixels (null without a reference WCS or off its projection). */
export function skyToCircle(view: ImageView, sky: ICircleValue): { x: number; y: number; r: number } | null {
  const wcs = referenceWcs(view);
  if (!wcs) {
    return null;
  }
  const [x, y] = wcs.worldToPixel(sky.ra, sky.dec);
  if (!Number.isFinite(x) || !Number.isFinite(y)) {
    return null;
  }
  return { x, y, r: sky.radius_arcsec / wcs.pixelScaleAt(x, y) };
}

/** A state file checked enough to restore: format, version, images; defaults for the rest. */
export function parseStateFile(json: unknown): IStateFile {
  const state = json as Partial<IStateFile> | null;
  if (!state || typeof state !== 'object' || state.format !== STATE_FORMAT) {
    throw new Error(`this is not a roman-lab view state (its "format" is not "${STATE_FORMAT}")`);
  }
  if (typeof state.version !== 'number' || state.version > STATE_VERSION) {
    throw new Error(
      `this state was written by a newer roman-lab (format version ${state.version}); this one reads version ${STATE_VERSION}: upgrade roman-lab to restore it`
    );
  }
  if (!Array.isArray(state.images) || state.images.length === 0) {
    throw new Error('the state has no images to restore');
  }
  state.images.forEach((image, i) => {
    if (!image || typeof image.id !== 'string' || typeof image.path !== 'string') {
      throw new Error(`images[${i}]: an image needs a string "id" and "path"`);
    }
  });
  return { ...viewDefaults(), ...state } as IStateFile;
}

/** `path` (root-relative, '/'-separated) as seen from the folder `from` (root-relative). */
export function relativePath(path: string, from: string): string {
  const target = path.split('/').filter(Boolean);
  const base = from.split('/').filter(Boolean);
  let common = 0;
  while (common < base.length && common < target.length - 1 && base[common] === target[common]) {
    common++;
  }
  return [...base.slice(common).map(() => '..'), ...target.slice(common)].join('/');
}

/** A state file's `path` (relative to the folder `from`) as a root-relative path; null if it leaves the root. */
export function resolvePath(path: string, from: string): string | null {
  const parts = from.split('/').filter(Boolean);
  for (const part of path.split('/')) {
    if (part === '..') {
      if (parts.length === 0) {
        return null;
      }
      parts.pop();
    } else if (part && part !== '.') {
      parts.push(part);
    }
  }
  return parts.join('/');
}

/** The folder of a root-relative path ('' at the root). */
export function folderOf(path: string): string {
  const at = path.lastIndexOf('/');
  return at < 0 ? '' : path.slice(0, at);
}
