import { describe, expect, it, vi } from 'vitest';
import type { AbsolutePath } from 'zarrita';

import { tinyArrayMeta } from './fixtures/tinyArray';
import { RomanStore } from './store';

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

const ROOT = {
  zarr_format: 3,
  node_type: 'group',
  attributes: { roman_lab: { level: 2, model_type: 'ImageModel', complete: false, shape: [4, 4], summary: {}, pyramid_levels: 2, arrays_pending: ['data/0'], arrays: ['data'] } }
};
const LEVEL = tinyArrayMeta('NaN');

/** A host store holding the store's files (zarrita keys), counting what is read. */
function hostStore(files: Record<string, Uint8Array>) {
  const get = vi.fn(async (key: AbsolutePath) => files[key]);
  return { get };
}

describe('RomanStore', () => {
  it('reads the zarr.json documents it was given from memory, everything else from the store', async () => {
    const chunk = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
    const store = hostStore({ '/zarr.json': encode(ROOT), '/data/1/zarr.json': encode(LEVEL), '/data/1/c/0/0': chunk });
    const opened = await RomanStore.open({ url: 'x', store }, { 'zarr.json': ROOT, 'data/1/zarr.json': LEVEL });
    const [level] = await opened.pyramid();
    expect(level.index).toBe(1);
    expect(Array.from((await RomanStore.chunk(level, 0, 0)).data)).toEqual([1, 2, 3, 4]);
    expect(store.get.mock.calls.map(([key]) => key)).toEqual(['/data/1/c/0/0']);
  });

  it('re-reads the root from the store on refresh, never the copy it was opened with', async () => {
    const store = hostStore({ '/zarr.json': encode(ROOT), '/data/1/zarr.json': encode(LEVEL) });
    const opened = await RomanStore.open({ url: 'x', store }, { 'zarr.json': ROOT });
    await opened.refresh(); // a display-ready store's root changes as levels land: never the copy
    expect(store.get.mock.calls.map(([key]) => key)).toEqual(['/zarr.json']);
  });
});
