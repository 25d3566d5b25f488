/**
 * The traits and the view: what Python set, applied to the view (the stack's order, names,
 * marks, reference and image on screen, the display, the centre and zoom, blinking, the DQ
 * overlay), and what the user changed in the view, to be written back. Each is a function of
 * the view and the values the model holds now.
 */
import { ImageView } from '../viewer/view';
import { applyView, IDisplayValue, IViewValues, readView, viewDefaults } from '../viewer/viewState';
import * as traits from './traits';

/** The anywidget model, as much of it as the widget uses. */
export interface IWidgetModel {
  get(name: string): any;
  set(name: string, value: unknown): void;
  save_changes(): void;
  /** A custom message to the kernel (the server channel, channel.ts). */
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[]): void;
  on(event: string, callback: (...args: any[]) => void): void;
  off(event?: string | null, callback?: ((...args: any[]) => void) | null): void;
}

/** The view values of the traits, and `blinking`. */
export type IModelValues = IViewValues & { blinking: boolean };

/** The view values as the model has them now (and `blinking`); absent ones take their default. */
export function modelValues(model: IWidgetModel): IModelValues {
  const values = Object.entries(viewDefaults()).map(([key, fallback]) => [key, model.get(key) ?? fallback]);
  return { ...(Object.fromEntries(values) as IViewValues), blinking: model.get('blinking') ?? false };
}

/** Order, marks, borrowed WCSs, names, the reference and the image on screen, from the traits. */
export function applyStack(view: ImageView, values: IModelValues): void {
  const held = heldIds(view);
  const images = traits.heldInOrder(values.images, held);
  for (const entry of images) {
    const image = view.images.find(i => i.id === entry.id);
    if (image && image.info.name !== entry.name) {
      image.info.name = entry.name;
    }
  }
  applyView(view, { images });
  const reference = traits.referenceId(values, held);
  if (reference && view.reference?.id !== reference) {
    view.setReference(reference);
  }
  const current = traits.currentId(values);
  if (current && held.has(current) && view.current?.id !== current) {
    view.setCurrent(current);
  }
}

export function applyDisplay(view: ImageView, values: IModelValues): void {
  if (view.images.length === 0) {
    return;
  }
  const held = heldIds(view);
  const imageDisplay: Record<string, IDisplayValue> = {};
  if (!values.sync_stretch) {
    for (const id of held) {
      imageDisplay[id] = values.image_display[id] ?? values.display;
    }
  }
  applyView(view, {
    sync_stretch: values.sync_stretch,
    display: values.display,
    limits: values.limits,
    ...(values.sync_stretch ? {} : { image_display: imageDisplay })
  });
}

/** The centre and zoom of the traits (null: the reference image's centre / fit). */
export function applyViewport(view: ImageView, values: IModelValues): void {
  const reference = view.reference;
  if (!reference) {
    return;
  }
  const { center, zoom_level } = values;
  if (zoom_level === null) {
    view.fit();
  }
  if (center !== null || zoom_level !== null) {
    const [rows, cols] = reference.shape;
    applyView(view, {
      center: center ?? { x: (cols - 1) / 2, y: (rows - 1) / 2 },
      ...(zoom_level !== null ? { zoom_level } : {})
    });
  }
}

export function applyBlink(view: ImageView, values: IModelValues): void {
  const { blinking, blink_interval } = values;
  const ms = Math.max(50, blink_interval * 1000);
  if (blinking && view.images.length > 0) {
    if (!view.blinking || view.blinkInterval !== ms) {
      view.blink(ms);
    }
  } else if (!blinking && view.blinking) {
    view.stopBlink();
  }
}

export function applyDq(view: ImageView, values: IModelValues): void {
  applyView(view, { dq_overlay: values.dq_overlay });
}

/**
 * `current` and `blinking` as the user changed them in the view. While Python's current image
 * is still converting, the view shows another one: that is not the user's choice, so it is not
 * written back (a restore would end on the wrong image).
 */
export function stackChanges(view: ImageView, values: IModelValues): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  const id = view.current?.id ?? null;
  const index = values.images.findIndex(entry => entry.id === id);
  const wanted = values.images[values.current]?.id;
  const wantedShown = wanted === undefined || view.images.some(image => image.id === wanted);
  if (id !== null && index >= 0 && index !== values.current && wantedShown) {
    changes.current = index;
  }
  if (view.blinking !== values.blinking && view.images.length > 1) {
    changes.blinking = view.blinking;
  }
  return changes;
}

/** `center` and `zoom_level` of the view when they differ from the traits' (null: the same). */
export function viewportChanges(view: ImageView, values: IModelValues): Pick<IViewValues, 'center' | 'zoom_level'> | null {
  const read = readView(view);
  let center = read.center;
  if (center && 'ra' in center) {
    center = { ra: traits.wrapRa(center.ra), dec: center.dec };
  }
  const differ = traits.centersDiffer(center, values.center) || traits.zoomsDiffer(read.zoom_level, values.zoom_level);
  return differ ? { center, zoom_level: read.zoom_level } : null;
}

/** The ids of the images the view holds. */
function heldIds(view: ImageView): Set<string> {
  return new Set(view.images.map(image => image.id));
}
