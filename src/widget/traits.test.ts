import { describe, expect, it } from 'vitest';

import type { IViewImage } from '../viewer/viewState';
import {
  centersDiffer,
  currentId,
  heldInOrder,
  newRegionId,
  planImages,
  rampRequest,
  rampSelection,
  referenceId,
  regionsDiffer,
  validCircle,
  viewSize,
  wrapRa,
  zoomsDiffer
} from './traits';

function image(id: string, path = `/data/${id}_cal.asdf`, kind: IViewImage['kind'] = 'exposure'): IViewImage {
  return { id, path, name: id, kind, wcs_from: null, mark: null, meta: { time: null, detector: null, level: 2 } };
}

describe('planImages', () => {
  it('adds new images, removes gone ones, cancels gone conversions', () => {
    const images = [image('a'), image('b'), image('c')];
    const plan = planImages(images, [{ id: 'a', path: '/data/a_cal.asdf' }, { id: 'x', path: '/x' }], [{ id: 'y', path: '/y' }], []);
    expect(plan.add.map(e => e.id)).toEqual(['b', 'c']);
    expect(plan.remove).toEqual(['x']);
    expect(plan.cancel).toEqual(['y']);
  });

  it('does not add twice what is converting, nor retry a failure of the same path', () => {
    const images = [image('a'), image('b')];
    const plan = planImages(images, [], [{ id: 'a', path: '/data/a_cal.asdf' }], [{ id: 'b', path: '/data/b_cal.asdf' }]);
    expect(plan).toEqual({ add: [], remove: [], cancel: [] });
  });

  it('replaces an image whose path changed under the same id (and retries a failed id with a new path)', () => {
    const images = [image('a', '/new/a.fits'), image('b', '/new/b.fits')];
    const plan = planImages(images, [{ id: 'a', path: '/old/a.fits' }], [], [{ id: 'b', path: '/old/b.fits' }]);
    expect(plan.remove).toEqual(['a']);
    expect(plan.add.map(e => e.path)).toEqual(['/new/a.fits', '/new/b.fits']);
  });

  it('empties the view for an empty stack', () => {
    expect(planImages([], [{ id: 'a', path: '/a' }], [], [])).toEqual({ add: [], remove: ['a'], cancel: [] });
  });
});

describe('stack values on the held images', () => {
  const images = [image('e1'), image('m0', '/m0_coadd.asdf', 'mosaic'), image('e2')];

  it('keeps the trait order of the images the view holds', () => {
    expect(heldInOrder(images, new Set(['e2', 'e1'])).map(e => e.id)).toEqual(['e1', 'e2']);
  });

  it('finds the current image by index', () => {
    expect(currentId({ images, current: 2 })).toBe('e2');
    expect(currentId({ images: [], current: 0 })).toBeNull();
  });

  it('uses the reference when held, else the first held mosaic, else the first held image', () => {
    expect(referenceId({ images, reference: 'e2' }, new Set(['e1', 'e2']))).toBe('e2');
    expect(referenceId({ images, reference: null }, new Set(['e1', 'm0']))).toBe('m0');
    expect(referenceId({ images, reference: 'm0' }, new Set(['e2', 'e1']))).toBe('e1');
    expect(referenceId({ images, reference: null }, new Set())).toBeNull();
  });

});

describe('what is a change worth sending', () => {
  it('compares sky centres to ~1/300 arcsec, across RA 0/360', () => {
    expect(centersDiffer({ ra: 10, dec: 5 }, { ra: 10 + 1e-8, dec: 5 })).toBe(false);
    expect(centersDiffer({ ra: 10, dec: 5 }, { ra: 10.0001, dec: 5 })).toBe(true);
    expect(centersDiffer({ ra: 359.9999999, dec: 0 }, { ra: 0, dec: 0 })).toBe(false);
    expect(centersDiffer({ ra: 10, dec: 5 }, { ra: 10, dec: 5.00001 })).toBe(true);
  });

  it('compares pixel centres, kinds and nulls', () => {
    expect(centersDiffer({ x: 1, y: 2 }, { x: 1.0001, y: 2 })).toBe(false);
    expect(centersDiffer({ x: 1, y: 2 }, { x: 1.1, y: 2 })).toBe(true);
    expect(centersDiffer({ x: 1, y: 2 }, { ra: 1, dec: 2 })).toBe(true);
    expect(centersDiffer(null, null)).toBe(false);
    expect(centersDiffer(null, { x: 0, y: 0 })).toBe(true);
  });

  it('compares zooms relatively', () => {
    expect(zoomsDiffer(8, 8 * (1 + 1e-9))).toBe(false);
    expect(zoomsDiffer(8, 8.01)).toBe(true);
    expect(zoomsDiffer(null, 1)).toBe(true);
    expect(zoomsDiffer(null, null)).toBe(false);
  });

  it('compares circles by id and position', () => {
    const a = [{ ra: 1, dec: 2, radius_arcsec: 3, id: 'c1' }];
    expect(regionsDiffer(a, [{ ...a[0] }])).toBe(false);
    expect(regionsDiffer(a, [{ ...a[0], radius_arcsec: 3.1 }])).toBe(true);
    expect(regionsDiffer(a, [{ ...a[0], id: 'c2' }])).toBe(true);
    expect(regionsDiffer(a, [])).toBe(true);
  });

  it('sends only circles Python accepts', () => {
    expect(validCircle({ ra: 1, dec: 2, radius_arcsec: 0.5 })).toBe(true);
    expect(validCircle({ ra: 1, dec: 2, radius_arcsec: 0 })).toBe(false);
    expect(validCircle({ ra: NaN, dec: 2, radius_arcsec: 1 })).toBe(false);
    expect(validCircle({ ra: 1, dec: 91, radius_arcsec: 1 })).toBe(false);
    expect(validCircle(null)).toBe(false);
  });

  it('wraps RA, makes ids like Python and sizes only shown views', () => {
    expect(wrapRa(-1)).toBe(359);
    expect(wrapRa(361)).toBe(1);
    expect(newRegionId(() => 0.999)).toBe('ffffffff');
    expect(newRegionId()).toMatch(/^[0-9a-f]{8}$/);
    expect(viewSize(800.4, 480)).toEqual({ width: 800, height: 480 });
    expect(viewSize(0, 480)).toBeNull();
  });
});

describe('the ramp panel', () => {
  const images = [image('a'), image('m', '/data/mosaic_coadd.asdf', 'mosaic')];
  const regions = [
    { id: 'r1', ra: 10, dec: -5, radius_arcsec: 2 },
    { id: 'r2', ra: 11, dec: -6, radius_arcsec: 3 }
  ];

  it('shows the ramps of the selection, hides without one, and says when its circle is gone', () => {
    expect(rampRequest({ images, regions, ramp_selection: { image: 'a', region: 'r2' } })).toEqual({
      imageId: 'a',
      path: '/data/a_cal.asdf',
      name: 'a',
      circle: { ra: 11, dec: -6, radius_arcsec: 3 }
    });
    expect(rampRequest({ images, regions, ramp_selection: null })).toBeNull();
    expect(rampRequest({ images, regions, ramp_selection: { image: 'a', region: 'gone' } })).toMatch(/circle gone is not among/);
  });

  it('opens on the exposure on screen and the selected circle, else the last one', () => {
    expect(rampSelection({ images, regions }, 'a', 'r1')).toEqual({ image: 'a', region: 'r1' });
    expect(rampSelection({ images, regions }, 'a', undefined)).toEqual({ image: 'a', region: 'r2' });
    expect(rampSelection({ images, regions }, 'm', 'r1')).toMatch(/not a Level 2 exposure/);
    expect(rampSelection({ images, regions }, null, 'r1')).toMatch(/No image on screen/);
    expect(rampSelection({ images, regions: [] }, 'a', undefined)).toMatch(/Draw a circle first/);
  });
});
