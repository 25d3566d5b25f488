/**
 * A roman-lab zarr store read with zarrita, over HTTP or through a host's own store (the
 * widget's kernel channel): the root attributes, the `data` pyramid and single chunks, nothing more. Arrays still being written (a display-ready
 * store) are simply absent and are looked up again later.
 */
import * as zarr from 'zarrita';

import type { IStoreAccess } from './session/server';

/** The `roman_lab` root attributes the viewer uses (see docs/store-format.md). */
export interface IStoreAttributes {
  level: 1 | 2 | 3;
  model_type: string;
  complete: boolean;
  arrays_pending?: string[];
  pyramid_levels?: number;
  /** [rows, cols] of every pyramid level, written or not. */
  pyramid_shapes?: Array<[number, number]>;
  /** Rows, columns of `data` (level 0), known before level 0 is written. */
  shape: number[];
  summary: Record<string, unknown>;
  statistics?: {
    min: number;
    max: number;
    percentiles: Record<string, number>;
    /** astropy's ZScaleInterval limits for the whole image. */
    zscale?: [number, number];
    /** Evenly ranked values of the image (histogram-equalisation and percentile knots). */
    quantiles?: number[];
    /** Dense knots in the tails (ranks 0-2 and 98-100 every 0.01 %), where percentile limits fall; absent in older stores. */
    tail_quantiles?: { percentiles: number[]; values: number[] };
  };
  fits_wcs?: Record<string, string | number | boolean>;
  sip_max_error_px?: number;
  arrays?: string[];
}

export interface IPyramidLevel {
  index: number;
  /** Rows, columns of this level. */
  shape: [number, number];
  /** Chunk rows, columns. */
  chunks: [number, number];
  array: zarr.Array<'float32', zarr.AsyncReadable>;
}

export interface IChunk {
  data: Float32Array;
  /** Row length and row count of `data` (the chunk shape; edge chunks are padded). */
  width: number;
  height: number;
}

export class RomanStore {
  private constructor(
    private readonly access: IStoreAccess,
    private readonly root: zarr.Group<zarr.AsyncReadable>,
    readonly attrs: IStoreAttributes
  ) {}

  get url(): string {
    return this.access.url;
  }

  /**
   * Opens a store; `documents` are zarr.json documents already known by key (the server sends
   * them with its first-pixels answer), read from memory instead of one request each.
   */
  static async open(access: IStoreAccess, documents?: Record<string, unknown>): Promise<RomanStore> {
    const remote = access.store ?? new zarr.FetchStore(access.url, { overrides: access.init ?? {} });
    const store = documents ? withDocuments(remote, documents) : remote;
    // v3 only: roman-lab writes zarr v3, and probing v2 first costs two 404s per store
    const root = await zarr.open.v3(store, { kind: 'group' });
    const attrs = (root.attrs as { roman_lab?: IStoreAttributes }).roman_lab;
    if (!attrs) {
      throw new Error(`${access.url} is not a roman-lab store (no roman_lab attributes).`);
    }
    return new RomanStore(access, root, attrs);
  }

  /** The pyramid levels available now, finest first (level 0 may still be pending). */
  async pyramid(): Promise<IPyramidLevel[]> {
    const count = this.attrs.pyramid_levels ?? 1;
    const pending = new Set(this.attrs.arrays_pending ?? []);
    const written = Array.from({ length: count }, (_, index) => index).filter(index => !pending.has(`data/${index}`));
    // the levels' metadata in parallel (one request each)
    return Promise.all(
      written.map(async index => {
        const array = await zarr.open.v3(this.root.resolve(`data/${index}`), { kind: 'array' });
        if (!array.is('float32')) {
          throw new Error(`data/${index} is ${array.dtype}, not float32.`);
        }
        const level: IPyramidLevel = {
          index,
          shape: [array.shape[0], array.shape[1]],
          chunks: [array.chunks[0], array.chunks[1]],
          array
        };
        return level;
      })
    );
  }

  /** The `dq` array (uint32 flags, level 0 only), or null when absent or still being written. */
  async dq(): Promise<zarr.Array<'uint32', zarr.AsyncReadable> | null> {
    const names = this.attrs.arrays ?? [];
    if (!names.includes('dq') || (this.attrs.arrays_pending ?? []).includes('dq')) {
      return null;
    }
    const array = await zarr.open.v3(this.root.resolve('dq'), { kind: 'array' });
    return array.is('uint32') ? array : null;
  }

  static async maskChunk(array: zarr.Array<'uint32', zarr.AsyncReadable>, row: number, col: number, signal?: AbortSignal) {
    const chunk = await array.getChunk([row, col], { signal });
    return { data: chunk.data as Uint32Array, width: chunk.shape[1], height: chunk.shape[0] };
  }

  /** Re-reads the root attributes (a display-ready store completes while we look at it). */
  async refresh(): Promise<RomanStore> {
    return RomanStore.open(this.access);
  }

  /** Loads the chunk decoder now (in the lab's bundle a lazily loaded WebAssembly module), so the first chunk does not wait for it. */
  static async warmDecoder(): Promise<void> {
    const codec = await zarr.registry.get('zstd')?.();
    await codec?.fromConfig({ level: 1 }, { dataType: 'uint8', shape: [4], codecs: [], fillValue: 0 }).decode(TINY_ZSTD_FRAME);
  }

  static async chunk(level: IPyramidLevel, row: number, col: number, signal?: AbortSignal): Promise<IChunk> {
    const chunk = await level.array.getChunk([row, col], { signal });
    return { data: chunk.data as Float32Array, width: chunk.shape[1], height: chunk.shape[0] };
  }
}

/** Four zero bytes in zstd (what warmDecoder decodes). */
const TINY_ZSTD_FRAME = new Uint8Array([40, 181, 47, 253, 32, 4, 33, 0, 0, 0, 0, 0, 0]);

/** A store that answers the keys of `documents` (zarr.json documents, keys without a leading
 * slash) from memory and every other key from `base`. */
function withDocuments(base: zarr.AsyncReadable, documents: Record<string, unknown>): zarr.AsyncReadable {
  const encoder = new TextEncoder();
  return {
    get: (key, options) => {
      const name = key.slice(1);
      return Object.hasOwn(documents, name) ? Promise.resolve(encoder.encode(JSON.stringify(documents[name]))) : base.get(key, options);
    }
  };
}
