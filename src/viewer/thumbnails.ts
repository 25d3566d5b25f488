/**
 * Small pictures of the images of a stack for the stack list: each image's coarsest chunk
 * with its own display, drawn once per display change. They keep their own small copy of
 * that chunk: the chunk cache keeps only the tiles the view needs.
 */
import { IWantedTile } from './chunkCache';
import { lutIndex } from './math/colormap';
import { normalizeValue } from './math/stretch';
import { StackImage } from './stackImage';
import { IChunk } from './store';

/** The longest side of the copy kept per image (pictures are drawn at most this size). */
const KEPT_SIDE = 128;

/** An image's coarsest level, every `step`-th pixel. */
interface IKept {
  data: Float32Array;
  rows: number;
  cols: number;
}

export class Thumbnails {
  /**
   * A chunk arrived: the coarsest level's (one chunk) is kept as every n-th pixel, which
   * nearest-pixel scaling would pick anyway; whether it was.
   */
  keep(tile: IWantedTile, chunk: IChunk): boolean {
    const image = tile.image;
    if (tile.grid === 'dq' || tile.grid.index !== image.coarsest.index || tile.row !== 0 || tile.col !== 0) {
      return false;
    }
    const [rows, cols] = [Math.min(tile.grid.shape[0], chunk.height), Math.min(tile.grid.shape[1], chunk.width)];
    const step = Math.max(1, Math.ceil(Math.max(rows, cols) / KEPT_SIDE));
    const [r, c] = [Math.ceil(rows / step), Math.ceil(cols / step)];
    const data = new Float32Array(r * c);
    for (let j = 0; j < r; j++) {
      for (let i = 0; i < c; i++) {
        data[j * c + i] = chunk.data[j * step * chunk.width + i * step];
      }
    }
    this.kept.set(image.id, { data, rows: r, cols: c });
    this.pictures.delete(image.id);
    return true;
  }

  /**
   * A small picture of an image (its coarsest level with its own display); null until that
   * level is loaded. Row 0 of the image is at the bottom.
   */
  get(image: StackImage, size: number): ImageData | null {
    const cached = this.pictures.get(image.id);
    if (cached && cached.version === this.version) {
      return cached.picture;
    }
    const kept = this.kept.get(image.id);
    if (!kept) {
      return null;
    }
    const { data, rows, cols } = kept;
    const scale = size / Math.max(rows, cols);
    const width = Math.max(1, Math.round(cols * scale));
    const height = Math.max(1, Math.round(rows * scale));
    const picture = new ImageData(width, height);
    const lut = image.colormap;
    const norm = image.normalization;
    for (let j = 0; j < height; j++) {
      const row = Math.min(rows - 1, Math.floor((height - 1 - j) / scale));
      for (let i = 0; i < width; i++) {
        const value = data[row * cols + Math.min(cols - 1, Math.floor(i / scale))];
        const t = Number.isFinite(value) ? normalizeValue(norm, value) : -1;
        const at = 4 * (j * width + i);
        if (t < 0) {
          picture.data[at + 3] = 0;
          continue;
        }
        const k = 4 * lutIndex(t);
        picture.data.set(lut.subarray(k, k + 4), at);
      }
    }
    this.pictures.set(image.id, { version: this.version, picture });
    return picture;
  }

  /** An image left the stack. */
  forget(imageId: string): void {
    this.kept.delete(imageId);
    this.pictures.delete(imageId);
  }

  /** The display changed: every picture is drawn again. */
  displayChanged(): void {
    this.version++;
  }

  private readonly kept = new Map<string, IKept>();
  private readonly pictures = new Map<string, { version: number; picture: ImageData }>();
  private version = 0;
}
