import { describe, expect, it, vi } from 'vitest';

import { RomanStore } from '../store';
import { ImageLoader } from './loader';
import { IConversion, RomanServer, ServerError } from './server';

vi.mock('../store', () => ({
  RomanStore: { open: vi.fn(async (access: { url: string }) => ({ url: access.url })), warmDecoder: vi.fn(async () => undefined) }
}));

/** A server whose conversions step through `steps` (one per status request), per path. */
function fakeServer(steps: Record<string, Array<Partial<IConversion>>>) {
  const asked: Record<string, number> = {};
  let running = 0;
  let mostAtOnce = 0;
  const job = (path: string): IConversion => {
    const list = steps[path];
    const step = list[Math.min(asked[path], list.length - 1)];
    return { id: path, path, status: 'running', progress: 0, message: '', display_ready: false, published: 0, error_status: null, ...step };
  };
  const server = {
    async startConversion(path: string) {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      asked[path] = 0;
      return job(path);
    },
    async conversionStatus(id: string) {
      asked[id]++;
      const now = job(id);
      if (now.display_ready || now.status === 'error') {
        running--;
      }
      return now;
    },
    storeAccess: (id: string) => ({ url: `store/${id}`, init: {} })
  } as unknown as RomanServer;
  return { server, mostAtOnce: () => mostAtOnce };
}

const options = { concurrency: 2, completePollMs: 1, onChange: () => undefined };

describe('ImageLoader', () => {
  it('opens a store once display-ready, then follows it until complete', async () => {
    const { server } = fakeServer({
      a: [{ progress: 0.1, message: 'level 0' }, { progress: 0.5, display_ready: true }, { status: 'ready', display_ready: true, progress: 1 }]
    });
    const onPublished = vi.fn(async () => undefined);
    const progress: number[] = [];
    const loader: ImageLoader = new ImageLoader(server, {
      ...options,
      onPublished,
      onChange: () => progress.push(loader.loading[0]?.progress ?? -1)
    });
    const opened = await loader.open('a', 'a.asdf');
    expect(opened?.store).toEqual({ url: 'store/a' });
    expect(RomanStore.open).toHaveBeenCalledWith({ url: 'store/a', init: {} }, undefined);
    expect(progress).toContain(0.1);
    expect(loader.loading).toEqual([]);
    await opened!.complete;
    expect(onPublished).toHaveBeenCalledTimes(1);
  });

  it('asks the server to hold its answers for the first pixels, and picks up each array that lands', async () => {
    const { server } = fakeServer({
      a: [
        { display_ready: true },
        { display_ready: true, published: 1 },
        { display_ready: true, published: 1 },
        { display_ready: true, published: 2 },
        { status: 'ready', display_ready: true, published: 3 }
      ]
    });
    const start = vi.spyOn(server, 'startConversion');
    const published: number[] = [];
    const loader: ImageLoader = new ImageLoader(server, {
      ...options,
      onPublished: async () => {
        published.push(published.length);
      }
    });
    const opened = await loader.open('a', 'a.asdf');
    expect(start).toHaveBeenCalledWith('a', expect.anything(), 0.5);
    expect(RomanStore.warmDecoder).toHaveBeenCalled(); // while the server converts
    await opened!.complete;
    // published 1, 2, then 3 with the completion: once each, not for the poll that saw nothing new
    expect(published).toEqual([0, 1, 2]);
  });

  it('opens the store with the metadata the first-pixels answer holds', async () => {
    const metadata = { 'zarr.json': { zarr_format: 3 } };
    const { server } = fakeServer({ a: [{ status: 'ready', display_ready: true, metadata }] });
    const loader = new ImageLoader(server, { ...options, onPublished: async () => undefined });
    await loader.open('a', 'a.asdf');
    expect(RomanStore.open).toHaveBeenLastCalledWith({ url: 'store/a', init: {} }, metadata);
  });

  it('converts at most `concurrency` files at once, in the order asked', async () => {
    const steps = Object.fromEntries(['a', 'b', 'c', 'd'].map(p => [p, [{}, {}, { status: 'ready' as const, display_ready: true }]]));
    const { server, mostAtOnce } = fakeServer(steps);
    const loader = new ImageLoader(server, { ...options, onPublished: async () => undefined });
    const opened = await Promise.all(['a', 'b', 'c', 'd'].map(path => loader.open(path, path)));
    expect(opened.map(o => (o?.store as unknown as { url: string }).url)).toEqual(['store/a', 'store/b', 'store/c', 'store/d']);
    expect(mostAtOnce()).toBe(2);
  });

  it("throws the server's message when a conversion fails, and null when cancelled first", async () => {
    const { server } = fakeServer({ bad: [{}, { status: 'error', message: 'bad.asdf is truncated', error_status: 422 }] });
    const loader = new ImageLoader(server, { ...options, onPublished: async () => undefined });
    const failure = loader.open('bad', 'bad.asdf');
    await expect(failure).rejects.toThrow('bad.asdf is truncated');
    await expect(failure).rejects.toBeInstanceOf(ServerError);
    expect(await loader.open('bad', 'bad.asdf', () => true)).toBeNull();
  });

  it('rejects `complete` when the full resolution fails', async () => {
    const { server } = fakeServer({ a: [{ display_ready: true }, { status: 'error', display_ready: true, message: 'disk full' }] });
    const loader = new ImageLoader(server, { ...options, onPublished: async () => undefined });
    const opened = await loader.open('a', 'a');
    await expect(opened!.complete).rejects.toThrow('disk full');
  });
});
