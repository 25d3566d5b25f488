/**
 * Small pictures of the images of a stack for the stack list: each image's coarsest chunk
 * with its own display, drawn once per display change.
 */
import { ChunkCache } from './chunkCache';
import { lutIndex } from './math/colormap';
import { normalizeValue } from './math/stretch';
import { StackImage } from './stackImage';

export class Thumbnails {
  constructor(private readonly cache: ChunkCache) {}

  /**
   * A small picture of an image (its coarsest level with its own display); null until that
   * level is loaded. Row 0 of the image is at the bottom.
   */
  get(image: StackImage, size: number): ImageData | null {
    const cached = this.pictures.get(image.id);
    if (cached && cached.version === this.version) {
      return cached.picture;
    }
    const level = image.levels.length > 0 ? image.coarsest : null;
    const entry = level && this.cache.peek(`${image.id}:${level.index}/0/0`);
    if (!level || !entry || !(entry.data instanceof Float32Array)) {
      return null;
    }
    const [rows, cols] = [Math.min(level.shape[0], level.chunks[0]), Math.min(level.shape[1], level.chunks[1])];
    const scale = size / Math.max(rows, cols);
    const width = Math.max(1, Math.round(cols * scale));
    const height = Math.max(1, Math.round(rows * scale));
    const picture = new ImageData(width, height);
    const lut = image.colormap;
    const norm = image.normalization;
    for (let j = 0; j < height; j++) {
      const row = Math.min(rows - 1, Math.floor((height - 1 - j) / scale));
      for (let i = 0; i < width; i++) {
        const value = entry.data[row * entry.width + Math.min(cols - 1, Math.floor(i / scale))];
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

  /** An image's coarsest chunk arrived: its picture is drawn again. */
  forget(imageId: string): void {
    this.pictures.delete(imageId);
  }

  /** The display changed: every picture is drawn again. */
  displayChanged(): void {
    this.version++;
  }

  private readonly pictures = new Map<string, { version: number; picture: ImageData }>();
  private version = 0;
}
