import { describe, expect, it } from 'vitest';

import { IRequestOptions, IServerConnection, ServerError } from '../viewer/session/server';
import { WidgetConnection } from './connection';

/** A connection that names itself in its answers; `reachable` false: it fails like a page without the server. */
function connection(name: string, reachable = true): IServerConnection & { asked: string[][] } {
  const asked: string[][] = [];
  return {
    asked,
    async request<T>(endPoint: string[], _options?: IRequestOptions): Promise<T> {
      asked.push(endPoint);
      if (!reachable) {
        throw new ServerError('The roman-lab server extension is not enabled on this Jupyter server.', 404);
      }
      return { from: name } as T;
    },
    storeAccess: (id: string) => ({ url: `${name}/${id}` })
  };
}

describe('WidgetConnection', () => {
  it("uses the page's server when it answers its health check", async () => {
    const page = connection('page');
    const kernel = connection('kernel');
    const chosen = new WidgetConnection(page, kernel, 'auto');
    expect(await chosen.request(['stores'], { method: 'POST' })).toEqual({ from: 'page' });
    expect(chosen.storeAccess('s1').url).toBe('page/s1');
    expect(page.asked).toEqual([['health'], ['stores']]);
    expect(kernel.asked).toEqual([]);
  });

  it('uses the kernel when the page has no roman-lab server', async () => {
    const page = connection('page', false);
    const kernel = connection('kernel');
    const chosen = new WidgetConnection(page, kernel, 'auto');
    expect(() => chosen.storeAccess('s1')).toThrow('No connection');
    expect(await chosen.request(['dqflags'])).toEqual({ from: 'kernel' });
    expect(chosen.storeAccess('s1').url).toBe('kernel/s1');
    expect(chosen.using).toBe(kernel);
  });

  it('takes the connection it is told to, without asking the page', async () => {
    const page = connection('page');
    const forced = new WidgetConnection(page, connection('kernel'), 'kernel');
    expect(await forced.request(['health'])).toEqual({ from: 'kernel' });
    expect(page.asked).toEqual([]);
    expect(await new WidgetConnection(connection('page', false), connection('kernel'), 'http').request(['health']).catch(e => e.status)).toBe(404);
  });
});
