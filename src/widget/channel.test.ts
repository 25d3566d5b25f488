import { describe, expect, it } from 'vitest';

import { tinyArrayMeta } from '../viewer/fixtures/tinyArray';
import { RomanServer, ServerError } from '../viewer/session/server';
import { RomanStore } from '../viewer/store';
import { IMessageModel, KernelConnection } from './channel';

type Handler = (content: any) => { status: number; message?: string; bytes?: Uint8Array } | null;
type Listener = (content: any, buffers?: ArrayBufferView[]) => void;

/** The kernel's side of the messages: answers each request with `handler`, later, in the order `release` says. */
class Kernel implements IMessageModel {
  constructor(private readonly handler: Handler) {}

  send(content: any): void {
    this.sent.push(content);
    const answer = this.handler(content);
    if (answer) {
      const { bytes, ...rest } = answer;
      this.queued.push(() => {
        const buffers = bytes ? [new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)] : [];
        this.listeners.forEach(listener => listener({ roman_lab: 'answer', id: content.id, ...rest }, buffers));
      });
    }
  }

  on(_event: 'msg:custom', callback: Listener): void {
    this.listeners.add(callback);
  }

  off(_event: 'msg:custom', callback: Listener): void {
    this.listeners.delete(callback);
  }

  /** Delivers the queued answers, last first when `reversed`. */
  async release(reversed = false): Promise<void> {
    const answers = reversed ? this.queued.reverse() : this.queued;
    this.queued = [];
    answers.forEach(deliver => deliver());
    await new Promise(resolve => setTimeout(resolve, 0));
  }

  readonly sent: any[] = [];
  readonly listeners = new Set<Listener>();
  private queued: Array<() => void> = [];
}

const json = (value: unknown) => ({ status: 200, bytes: new TextEncoder().encode(JSON.stringify(value)) });

describe('KernelConnection', () => {
  it('matches answers to requests by id, in any order', async () => {
    const kernel = new Kernel(content => json({ asked: content.path, query: content.query, body: content.body }));
    const connection = new KernelConnection(kernel);
    const first = connection.request(['stores'], { method: 'POST', body: { path: 'a.asdf' } });
    const second = connection.request(['ramps'], { query: { ra: '1' } });
    await kernel.release(true);
    expect(await first).toEqual({ asked: ['stores'], query: {}, body: { path: 'a.asdf' } });
    expect(await second).toEqual({ asked: ['ramps'], query: { ra: '1' }, body: null });
    expect(kernel.sent.map(message => [message.roman_lab, message.method, message.id])).toEqual([
      ['request', 'POST', 1],
      ['request', 'GET', 2]
    ]);
  });

  it("throws the server's words and status", async () => {
    const kernel = new Kernel(() => ({ status: 403, message: '/etc/x.asdf points outside the Jupyter root.' }));
    const server = new RomanServer(new KernelConnection(kernel));
    const failed = server.startConversion('/etc/x.asdf').catch(error => error);
    await kernel.release();
    const error = await failed;
    expect(error).toBeInstanceOf(ServerError);
    expect([error.message, error.status]).toEqual(['/etc/x.asdf points outside the Jupyter root.', 403]);
  });

  it('stops waiting when aborted, drops the late answer, and fails what waits on dispose', async () => {
    const kernel = new Kernel(() => json({ late: true }));
    const connection = new KernelConnection(kernel);
    const abort = new AbortController();
    const aborted = connection.request(['health'], { signal: abort.signal }).then(
      () => null,
      (error: Error) => error
    );
    abort.abort();
    expect((await aborted)?.name).toBe('AbortError');
    await kernel.release(); // no one waits for it: nothing happens
    const pending = connection.request(['health']).catch(error => error);
    connection.dispose();
    expect(await pending).toBeInstanceOf(ServerError);
    expect(kernel.listeners.size).toBe(0);
  });

  it('reads a zarr store key by key through the kernel, absent keys as absent', async () => {
    const files = tinyStore();
    const kernel = new Kernel(content =>
      files.has(content.key) ? { status: 200, bytes: files.get(content.key) } : { status: 404, message: 'no key' }
    );
    const connection = new KernelConnection(kernel);
    const deliver = setInterval(() => void kernel.release(), 1);
    try {
      const store = await RomanStore.open(connection.storeAccess('s1'));
      expect(store.url).toBe('kernel:/roman-lab/stores/s1/');
      const [level] = await store.pyramid();
      const chunk = await RomanStore.chunk(level, 0, 0);
      expect(Array.from(chunk.data)).toEqual([1, 2, 3, 4]);
      expect(await store.dq()).toBeNull();
      expect(await connection.storeAccess('s1').store!.get('/data/9/zarr.json')).toBeUndefined();
    } finally {
      clearInterval(deliver);
    }
    expect(kernel.sent.filter(message => message.roman_lab === 'store').every(message => message.store === 's1')).toBe(true);
  });
});

/** A roman-lab store of one 2 x 2 float32 level, uncompressed, as the kernel's files. */
function tinyStore(): Map<string, Uint8Array> {
  const text = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
  const attrs = { level: 2, model_type: 'ImageModel', complete: true, pyramid_levels: 1, shape: [2, 2], summary: {} };
  const array = tinyArrayMeta(0);
  return new Map([
    ['zarr.json', text({ zarr_format: 3, node_type: 'group', attributes: { roman_lab: attrs } })],
    ['data/0/zarr.json', text(array)],
    ['data/0/c/0/0', new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer)]
  ]);
}
