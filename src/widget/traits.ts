/**
 * The pure half of the trait sync (docs/state.md "Widget traits"): what to add to and take
 * out of the view for a new `images` value, the view values restricted to the images the
 * view holds, whether a value read from the view is a change worth sending to Python, and
 * what the ramp panel shows.
 */
import type { ICircleRampsRequest } from '../viewer/ramps/circleRamps';
import type { ICircleValue, IViewImage, IViewValues } from '../viewer/viewState';

/** An image the view has, or is converting, with the path it was opened from. */
export interface IHeldImage {
  id: string;
  path: string;
}

export interface IImagesPlan {
  /** Entries to convert and add (in the order of `images`). */
  add: IViewImage[];
  /** Ids to take out of the view (gone from `images`, or their path changed). */
  remove: string[];
  /** Ids of conversions to drop (gone, or their path changed). */
  cancel: string[];
}

/**
 * What to do for a new `images` value: `present` are the view's images, `pending` the
 * conversions running, `failed` those that failed (not retried while their path is the same).
 */
export function planImages(
  images: readonly IViewImage[],
  present: readonly IHeldImage[],
  pending: readonly IHeldImage[],
  failed: readonly IHeldImage[]
): IImagesPlan {
  const wanted = new Map(images.map(entry => [entry.id, entry.path]));
  const same = (held: IHeldImage) => wanted.get(held.id) === held.path;
  const remove = present.filter(held => !same(held)).map(held => held.id);
  const cancel = pending.filter(held => !same(held)).map(held => held.id);
  const keep = new Set([...present, ...pending, ...failed].filter(same).map(held => held.id));
  return { add: images.filter(entry => !keep.has(entry.id)), remove, cancel };
}

/** The entries of `images` the view holds, in the order of `images`. */
export function heldInOrder(images: readonly IViewImage[], held: ReadonlySet<string>): IViewImage[] {
  return images.filter(entry => held.has(entry.id));
}

/** The id of the image `current` points at (null when out of range or empty). */
export function currentId(values: Pick<IViewValues, 'images' | 'current'>): string | null {
  return values.images[values.current]?.id ?? null;
}

/** The reference the view should use: `reference` if held, else the first held mosaic, else the first held image. */
export function referenceId(values: Pick<IViewValues, 'images' | 'reference'>, held: ReadonlySet<string>): string | null {
  if (values.reference !== null && held.has(values.reference)) {
    return values.reference;
  }
  const images = heldInOrder(values.images, held);
  return (images.find(entry => entry.kind === 'mosaic') ?? images[0])?.id ?? null;
}


/** Degrees on the sky, pixels and zoom ratios below which a view read back is "the same". */
const SKY_TOLERANCE_DEG = 1e-6;
const PIXEL_TOLERANCE = 1e-3;
const ZOOM_TOLERANCE = 1e-6;

/** Whether two `center` values differ by more than rounding. */
export function centersDiffer(a: IViewValues['center'], b: IViewValues['center']): boolean {
  if (a === null || b === null) {
    return a !== b;
  }
  if ('ra' in a && 'ra' in b) {
    let dra = Math.abs(a.ra - b.ra) % 360;
    dra = Math.min(dra, 360 - dra);
    const cosDec = Math.cos((((a.dec + b.dec) / 2) * Math.PI) / 180);
    return dra * cosDec > SKY_TOLERANCE_DEG || Math.abs(a.dec - b.dec) > SKY_TOLERANCE_DEG;
  }
  if ('x' in a && 'x' in b) {
    return Math.abs(a.x - b.x) > PIXEL_TOLERANCE || Math.abs(a.y - b.y) > PIXEL_TOLERANCE;
  }
  return true;
}

/** Whether two `zoom_level` values differ by more than rounding. */
export function zoomsDiffer(a: number | null, b: number | null): boolean {
  if (a === null || b === null) {
    return a !== b;
  }
  return Math.abs(a - b) > ZOOM_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
}

/** Whether the circles differ (ids, or positions beyond rounding). */
export function regionsDiffer(a: readonly ICircleValue[], b: readonly ICircleValue[]): boolean {
  if (a.length !== b.length) {
    return true;
  }
  return a.some((circle, i) => {
    const other = b[i];
    return (
      circle.id !== other.id ||
      centersDiffer({ ra: circle.ra, dec: circle.dec }, { ra: other.ra, dec: other.dec }) ||
      Math.abs(circle.radius_arcsec - other.radius_arcsec) > 1e-6
    );
  });
}

/** A circle worth sending: finite, a radius above zero, RA in [0, 360). */
export function validCircle(circle: ICircleValue | null): circle is ICircleValue {
  return (
    circle !== null &&
    Number.isFinite(circle.ra) &&
    Number.isFinite(circle.dec) &&
    Math.abs(circle.dec) <= 90 &&
    Number.isFinite(circle.radius_arcsec) &&
    circle.radius_arcsec > 0
  );
}

/** RA wrapped into [0, 360). */
export function wrapRa(ra: number): number {
  const wrapped = ra % 360;
  return wrapped < 0 ? wrapped + 360 : wrapped;
}

/** A new circle id: 8 hex digits, as Python makes them. */
export function newRegionId(random: () => number = Math.random): string {
  let id = '';
  for (let i = 0; i < 8; i++) {
    id += Math.floor(random() * 16).toString(16);
  }
  return id;
}

/** The `view_size` value of an element's box (null while it has no size: hidden or detached). */
export function viewSize(width: number, height: number): { width: number; height: number } | null {
  const w = Math.round(width);
  const h = Math.round(height);
  return w > 0 && h > 0 ? { width: w, height: h } : null;
}

/** Whether two JSON values are the same (key order included: both come from the same writers). */
export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * What the ramp panel shows for the `ramp_selection` trait: the ramps of its circle on its
 * image; null when there is no selection (the panel is hidden); a sentence when its circle is gone.
 */
export function rampRequest(values: Pick<IViewValues, 'ramp_selection' | 'images' | 'regions'>): ICircleRampsRequest | null | string {
  const selection = values.ramp_selection;
  const entry = selection && values.images.find(e => e.id === selection.image);
  if (!selection || !entry) {
    return null;
  }
  const region = values.regions.find(r => r.id === selection.region);
  if (!region) {
    return `The ramp panel's circle ${selection.region} is not among the circles any more.`;
  }
  const circle = { ra: region.ra, dec: region.dec, radius_arcsec: region.radius_arcsec };
  return { imageId: entry.id, path: entry.path, name: entry.name, circle };
}

/**
 * The `ramp_selection` of the Ramps button: the exposure on screen and the selected circle
 * (else the last one); a sentence saying what is missing when there is none.
 */
export function rampSelection(
  values: Pick<IViewValues, 'images' | 'regions'>,
  currentId: string | null,
  selectedRegion: string | undefined
): { image: string; region: string } | string {
  const entry = values.images.find(e => e.id === currentId);
  if (!entry) {
    return 'No image on screen: the ramps are of the exposure shown.';
  }
  if (entry.kind !== 'exposure') {
    return `${entry.name} is not a Level 2 exposure (_cal): the ramps come from an exposure's Level 1 file.`;
  }
  const region = selectedRegion ?? values.regions[values.regions.length - 1]?.id;
  if (!region) {
    return 'Draw a circle first (the Circle tool, C): the ramps are of the pixels inside it.';
  }
  return { image: entry.id, region };
}
