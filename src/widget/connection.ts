/**
 * The widget's way to the roman-lab endpoints, chosen once when it starts: the page's roman-lab
 * server over HTTP when it answers (chunks read in parallel, the kernel left free: first pixels
 * several times sooner, docs/performance.md), else the kernel over anywidget messages (VS Code,
 * Colab, Voila, a Jupyter server without the extension). `Viewer(connection=...)` forces one.
 */
import { IRequestOptions, IServerConnection, IStoreAccess } from '../viewer/session/server';

export type ConnectionMode = 'auto' | 'http' | 'kernel';

/** How long the page's server has to answer `GET health` before the kernel is used. */
const PROBE_MS = 3000;

export class WidgetConnection implements IServerConnection {
  constructor(page: IServerConnection, kernel: IServerConnection, mode: ConnectionMode) {
    const chosen = mode === 'kernel' ? kernel : mode === 'http' ? page : null;
    this.chosen = chosen ? Promise.resolve(chosen) : answers(page).then(ok => (ok ? page : kernel));
    void this.chosen.then(connection => (this.current = connection));
  }

  /** The connection in use, once chosen. */
  get using(): IServerConnection | null {
    return this.current;
  }

  async request<T>(endPoint: string[], options?: IRequestOptions): Promise<T> {
    return (await this.chosen).request<T>(endPoint, options);
  }

  /** A store's access through the chosen connection (stores are only opened after a request answered). */
  storeAccess(id: string): IStoreAccess {
    if (!this.current) {
      throw new Error('No connection to roman-lab is chosen yet.');
    }
    return this.current.storeAccess(id);
  }

  private readonly chosen: Promise<IServerConnection>;
  private current: IServerConnection | null = null;
}

async function answers(page: IServerConnection): Promise<boolean> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), PROBE_MS);
  try {
    await page.request(['health'], { signal: abort.signal });
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
