/**
 * Images from files: each converted on the server (or its conversion joined), its store
 * opened as soon as it is display-ready (the server holds the request until then, so the
 * first pixels come without a polling delay), a few at a time, then followed while its finer
 * levels and other arrays land. The one place the lab and the notebook widget poll conversions.
 */
import { mark } from '../marks';
import { RomanStore } from '../store';
import { IConversion, RomanServer, ServerError } from './server';

/**
 * How long the server may hold a request for the first pixels (s): the progress line is
 * updated at least this often while a long conversion runs.
 */
const DISPLAY_READY_WAIT_S = 0.5;

/** An image being converted or opened, for a progress line. */
export interface ILoading {
  path: string;
  name: string;
  /** 0..1, the server's estimate. */
  progress: number;
  message: string;
  /** False while it waits for a free slot. */
  started: boolean;
}

/** A store that can be drawn; `complete` settles once its full resolution is written and picked up. */
export interface IOpened {
  store: RomanStore;
  complete: Promise<void>;
}

export interface ILoaderOptions {
  /** Conversions polled at once (the browser has ~6 connections per host; chunks need some). */
  concurrency: number;
  /** Polling of display-ready conversions until complete (ms). */
  completePollMs: number;
  /** `loading` changed. */
  onChange: () => void;
  /** Arrays landed in display-ready stores, or they completed: pick them up (ImageView.refreshLevels). */
  onPublished: () => Promise<unknown>;
}

export class ImageLoader {
  constructor(
    private readonly server: RomanServer,
    private readonly options: ILoaderOptions
  ) {}

  /** The images being converted or opened, in the order asked (not the cancelled ones). */
  get loading(): readonly ILoading[] {
    return this.items.filter(item => !item.cancelled());
  }

  /**
   * Opens the store of a file once display-ready, at most `concurrency` at a time in the
   * order asked. Null when `cancelled()` turned true first; throws the server's message when
   * the conversion fails.
   */
  async open(path: string, name: string, cancelled: () => boolean = () => false): Promise<IOpened | null> {
    const item = { path, name, progress: 0, message: 'waiting', started: false, cancelled };
    this.items.push(item);
    this.options.onChange();
    try {
      return await this.slot(() => this.convert(item));
    } finally {
      this.items.splice(this.items.indexOf(item), 1);
      this.options.onChange();
    }
  }

  dispose(): void {
    this.disposed = true;
    this.abort.abort();
  }

  private async convert(item: ILoading & { cancelled: () => boolean }): Promise<IOpened | null> {
    const stop = () => item.cancelled() || this.disposed;
    if (stop()) {
      return null;
    }
    const signal = this.abort.signal;
    item.started = true;
    item.message = 'asking the server';
    this.options.onChange();
    mark('ask', item.path);
    void RomanStore.warmDecoder().catch(() => undefined); // a failure shows on the first chunk instead
    let job = await this.server.startConversion(item.path, signal, DISPLAY_READY_WAIT_S);
    while (!job.display_ready && job.status !== 'error' && !stop()) {
      item.progress = job.progress;
      item.message = job.message;
      this.options.onChange();
      job = await this.server.conversionStatus(job.id, signal, DISPLAY_READY_WAIT_S);
    }
    failIfError(job);
    mark('display-ready', item.path);
    if (stop()) {
      return null;
    }
    item.progress = 1;
    item.message = 'opening';
    this.options.onChange();
    const store = await RomanStore.open(this.server.storeAccess(job.id), job.metadata);
    mark('store-open', item.path);
    return { store, complete: job.status === 'ready' ? Promise.resolve() : this.follow(job) };
  }

  /**
   * Follows a display-ready conversion until complete. One poller asks about every such
   * conversion in turn, so fifty images loading at once cost one request at a time, not fifty.
   */
  private follow(job: IConversion): Promise<void> {
    return new Promise((resolve, reject) => {
      this.completing.set(job.id, { published: job.published, resolve, reject });
      if (this.completing.size === 1) {
        void this.pollCompletions();
      }
    });
  }

  private async pollCompletions(): Promise<void> {
    while (this.completing.size > 0 && !this.disposed) {
      await sleep(this.options.completePollMs);
      const completed: Array<() => void> = [];
      let landed = false;
      for (const [id, waiter] of [...this.completing]) {
        if (this.disposed) {
          return;
        }
        try {
          const job = await this.server.conversionStatus(id, this.abort.signal);
          failIfError(job);
          landed ||= job.published > waiter.published;
          waiter.published = job.published;
          if (job.status === 'ready') {
            this.completing.delete(id);
            completed.push(waiter.resolve);
          }
        } catch (error) {
          this.completing.delete(id);
          waiter.reject(error);
        }
      }
      if ((landed || completed.length > 0) && !this.disposed) {
        await this.options.onPublished();
        completed.forEach(resolve => resolve());
      }
    }
  }

  private readonly items: Array<ILoading & { cancelled: () => boolean }> = [];
  private readonly slot = limiter(() => this.options.concurrency);
  private readonly completing = new Map<string, { published: number; resolve: () => void; reject: (error: unknown) => void }>();
  private readonly abort = new AbortController();
  private disposed = false;
}

function failIfError(job: IConversion): void {
  if (job.status === 'error') {
    throw new ServerError(job.message, job.error_status ?? 500);
  }
}

/** Runs the tasks given to it at most `concurrency()` at a time, in the order given. */
function limiter(concurrency: () => number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async task => {
    if (running >= concurrency()) {
      await new Promise<void>(resolve => waiting.push(resolve));
    }
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}
