/**
 * The GPU meshes that place each chunk of an image in the pixel frame of the reference:
 * through both TAN-SIP WCSs (math/align.ts) when the image lines up on the sky, the chunk's
 * own rectangle when it is the reference or lines up pixel on pixel. Made on first use.
 */
import { chooseStep, tileMesh } from './math/align';
import { chunkRect, IPyramid, IRect } from './math/tiles';
import { TanSipWcs } from './math/wcs';
import { StackAlignment } from './alignment';
import { IWantedTile } from './chunkCache';
import { TileRenderer } from './renderer';
import { StackImage } from './stackImage';

/** Alignment tolerance of the meshes, in full-resolution pixels (x 2^level for coarser levels). */
const MESH_TOLERANCE_PX = 0.01;

export class Meshes {
  constructor(
    private readonly renderer: TileRenderer,
    private readonly alignment: StackAlignment
  ) {}

  /** The key of the GPU mesh placing a tile in the reference frame (kept per tile: prefetch asks for thousands each pass). */
  key(tile: IWantedTile): string {
    const reference = this.alignment.reference!.id;
    const known = this.keys.get(tile);
    if (known && known.reference === reference) {
      return known.key;
    }
    const key = `${tile.image.id}>${reference}:${tile.key.slice(tile.image.id.length + 1)}`;
    this.keys.set(tile, { reference, key });
    return key;
  }

  has(tile: IWantedTile): boolean {
    return this.renderer.hasMesh(this.key(tile));
  }

  /** The GPU mesh placing a tile in the reference frame (made on first use). */
  meshFor(tile: IWantedTile): string {
    const key = this.key(tile);
    if (!this.renderer.hasMesh(key)) {
      const reference = this.alignment.reference!;
      const aligned = this.alignment.alignmentOf(tile.image) === 'wcs';
      const from = aligned ? this.alignment.wcsOf(tile.image)! : null;
      const to = aligned ? this.alignment.wcsOf(reference)! : null;
      const level = tile.grid === 'dq' ? 0 : tile.grid.index;
      const size = Math.max(tile.rect.x1 - tile.rect.x0, tile.rect.y1 - tile.rect.y0);
      const step = from && to ? this.step(tile.image, level, from, to) : size;
      const mesh = from && to ? tileMesh(tile.rect, from, to, step) : identityMesh(tile.rect);
      this.renderer.uploadMesh(key, mesh);
    }
    return key;
  }

  /** A chunk left the cache: its mesh in the current reference frame goes too. */
  releaseChunk(key: string): void {
    const at = key.lastIndexOf(':'); // image ids may hold ':', tile names never do
    const reference = this.alignment.reference;
    if (at > 0 && reference) {
      this.renderer.releaseMesh(`${key.slice(0, at)}>${reference.id}${key.slice(at)}`);
    }
  }

  /** Every mesh of an image ('' for all images): its WCS, or the reference, changed. */
  release(imageId: string): void {
    this.renderer.releaseMeshes(imageId === '' ? '' : `${imageId}>`);
  }

  /** Forgets the chosen mesh steps (a borrowed WCS or the reference changed). */
  clearSteps(): void {
    this.steps.clear();
  }

  /**
   * The mesh step for an image's level, chosen once: the coarsest that aligns both a
   * corner chunk (where distortion is largest) and the centre chunk within the tolerance
   * (scaled by the level's pixel size: finer is invisible at that zoom).
   */
  private step(image: StackImage, level: number, from: TanSipWcs, to: TanSipWcs): number {
    const key = `${image.id}>${this.alignment.reference!.id}:${level}`;
    let step = this.steps.get(key);
    if (step === undefined) {
      const shape = image.pyramid.levels[level];
      const pyramid: IPyramid = { levels: Array(level + 1).fill(shape) };
      const [rows, cols] = [Math.ceil(shape.shape[0] / shape.chunk[0]), Math.ceil(shape.shape[1] / shape.chunk[1])];
      const tolerance = MESH_TOLERANCE_PX * 2 ** level;
      const corner = chunkRect(pyramid, { level, row: 0, col: 0 });
      const centre = chunkRect(pyramid, { level, row: Math.floor(rows / 2), col: Math.floor(cols / 2) });
      step = Math.min(chooseStep(corner, from, to, tolerance), chooseStep(centre, from, to, tolerance));
      this.steps.set(key, step);
    }
    return step;
  }

  private readonly keys = new WeakMap<IWantedTile, { reference: string; key: string }>();
  /** Mesh step per `${image}>${reference}:${level}`. */
  private readonly steps = new Map<string, number>();
}

/** A mesh drawing a tile where it is (the reference itself, or pixel-on-pixel alignment). */
function identityMesh(rect: IRect) {
  const ox = Math.round((rect.x0 + rect.x1) / 2);
  const oy = Math.round((rect.y0 + rect.y1) / 2);
  return {
    positions: new Float32Array([rect.x0 - ox, rect.y0 - oy, rect.x1 - ox, rect.y0 - oy, rect.x0 - ox, rect.y1 - oy, rect.x1 - ox, rect.y1 - oy]),
    uvs: new Float32Array([0, 0, 1, 0, 0, 1, 1, 1]),
    indices: new Uint16Array([0, 1, 3, 0, 3, 2]),
    ox,
    oy,
    columns: 2,
    rows: 2
  };
}
