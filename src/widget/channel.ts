/**
 * The notebook widget's connection to roman-lab: anywidget custom messages to its own kernel
 * (roman_lab/widget/channel.py), which answers with the REST server's endpoint functions. A
 * notebook in VS Code, Colab or a Voila page has no roman-lab server the page can reach; it
 * always has its kernel. Each request carries an id and its answer the same id: a status, and
 * one buffer (the JSON text, or a store key's bytes) or the server's message. Store keys are
 * read through the same messages, by a zarrita store.
 */
import type { AbsolutePath, AsyncReadable, GetOptions } from 'zarrita';

import { errorMessage, IRequestOptions, IServerConnection, IStoreAccess, ServerError } from '../viewer/session/server';

/** What the channel needs of anywidget's model. */
export interface IMessageModel {
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[]): void;
  on(event: 'msg:custom', callback: (content: any, buffers?: ArrayBufferView[]) => void): void;
  off(event: 'msg:custom', callback: (content: any, buffers?: ArrayBufferView[]) => void): void;
}

interface IAnswer {
  roman_lab: 'answer';
  id: number;
  status: number;
  message?: string;
}

interface IWaiter {
  resolve: (bytes: Uint8Array) => void;
  reject: (error: unknown) => void;
}

export class KernelConnection implements IServerConnection {
  constructor(private readonly model: IMessageModel) {
    model.on('msg:custom', this.onMessage);
  }

  async request<T>(endPoint: string[], options: IRequestOptions = {}): Promise<T> {
    const message = {
      roman_lab: 'request',
      method: options.method ?? 'GET',
      path: endPoint,
      query: options.query ?? {},
      body: options.body ?? null
    };
    return JSON.parse(new TextDecoder().decode(await this.ask(message, options.signal))) as T;
  }

  storeAccess(id: string): IStoreAccess {
    const store: AsyncReadable = {
      get: async (key: AbsolutePath, options?: GetOptions) => {
        try {
          return await this.ask({ roman_lab: 'store', store: id, key: key.slice(1) }, options?.signal);
        } catch (error) {
          if (error instanceof ServerError && error.status === 404) {
            return undefined; // absent, or not written yet: zarrita's "no such key"
          }
          throw error;
        }
      }
    };
    return { url: `kernel:/roman-lab/stores/${id}/`, store };
  }

  /** Stops listening; what is still waiting fails. */
  dispose(): void {
    this.model.off('msg:custom', this.onMessage);
    for (const waiter of this.pending.values()) {
      waiter.reject(new ServerError('The viewer was closed before the kernel answered.', 0));
    }
    this.pending.clear();
  }

  private ask(message: Record<string, unknown>, signal?: AbortSignal): Promise<Uint8Array> {
    if (signal?.aborted) {
      return Promise.reject(abortError());
    }
    const id = ++this.lastId;
    return new Promise<Uint8Array>((resolve, reject) => {
      const onAbort = () => {
        this.pending.delete(id); // the kernel's late answer is dropped
        reject(abortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settled = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        resolve: bytes => {
          settled();
          resolve(bytes);
        },
        reject: error => {
          settled();
          reject(error);
        }
      });
      this.model.send({ ...message, id });
    });
  }

  private readonly onMessage = (content: IAnswer, buffers: ArrayBufferView[] = []) => {
    const waiter = content?.roman_lab === 'answer' ? this.pending.get(content.id) : undefined;
    if (!waiter) {
      return;
    }
    this.pending.delete(content.id);
    const buffer = buffers[0];
    if (content.status === 200 && buffer) {
      waiter.resolve(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength));
    } else {
      const status = content.status === 200 ? 500 : content.status;
      waiter.reject(new ServerError(errorMessage(status, '', content), status));
    }
  };

  private readonly pending = new Map<number, IWaiter>();
  private lastId = 0;
}

function abortError(): Error {
  return new DOMException('The request was aborted.', 'AbortError');
}
