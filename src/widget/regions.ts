/**
 * The circles drawn on the image and the `regions` trait (sky circles with ids), kept in
 * step: regions placed on the view through the reference's WCS, circles read back as regions,
 * each circle keeping its region's id.
 */
import { CircleLayer } from '../viewer/circles';
import { ImageView } from '../viewer/view';
import { circleToSky, ICircleValue, skyToCircle } from '../viewer/viewState';
import * as traits from './traits';

export class RegionSync {
  constructor(
    private readonly view: ImageView,
    private readonly circles: CircleLayer,
    private readonly onError: (message: string) => void
  ) {}

  /** The region id of a circle of the layer. */
  regionOf(layerId: number): string | undefined {
    return this.regions.get(layerId);
  }

  /** The regions on the view (by id: moved, added, removed). */
  apply(regions: ICircleValue[]): void {
    if (!this.view.reference) {
      return;
    }
    const wanted = new Set(regions.map(r => r.id));
    for (const circle of this.circles.circles) {
      const id = this.regions.get(circle.id);
      if (id === undefined || !wanted.has(id)) {
        this.circles.remove(circle.id);
        this.forget(circle.id);
      }
    }
    const unplaced: string[] = [];
    for (const region of regions) {
      const pixels = skyToCircle(this.view, region);
      const layerId = region.id !== undefined ? this.layerIds.get(region.id) : undefined;
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
        this.pair(circle.id, region.id ?? traits.newRegionId());
      }
    }
    if (unplaced.length > 0 && !this.view.wcsOf(this.view.reference)) {
      this.onError('The reference image has no WCS: circles on the sky cannot be drawn on it.');
    }
  }

  /** The circles of the layer as regions (a circle being drawn, or without a sky position, left out). */
  read(): ICircleValue[] {
    const layerIds = new Set(this.circles.circles.map(c => c.id));
    for (const layerId of [...this.regions.keys()]) {
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
      let id = this.regions.get(circle.id);
      if (id === undefined) {
        id = traits.newRegionId();
        this.pair(circle.id, id);
      }
      regions.push({ ra: traits.wrapRa(sky.ra), dec: sky.dec, radius_arcsec: sky.radius_arcsec, id });
    }
    if (noWcs) {
      this.onError('The reference image has no WCS: a circle drawn on it has no sky position, so Python does not get it.');
    }
    return regions;
  }

  private pair(layerId: number, regionId: string): void {
    this.regions.set(layerId, regionId);
    this.layerIds.set(regionId, layerId);
  }

  private forget(layerId: number): void {
    const id = this.regions.get(layerId);
    this.regions.delete(layerId);
    if (id !== undefined) {
      this.layerIds.delete(id);
    }
  }

  /** Circle layer id -> region id, and back. */
  private readonly regions = new Map<number, string>();
  private readonly layerIds = new Map<string, number>();
}
