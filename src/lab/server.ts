/**
 * The lab's connection to the server extension: requests go through JupyterLab's
 * ServerConnection (base URL, token, XSRF), so the session's RomanServer works in the lab.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IRequestOptions, IServerConnection, IStoreAccess, queryString, requestJson, RomanServer } from '../viewer/session/server';

class LabConnection implements IServerConnection {
  request<T>(endPoint: string[], options: IRequestOptions = {}): Promise<T> {
    const settings = ServerConnection.makeSettings();
    const url = URLExt.join(settings.baseUrl, 'roman-lab', 'api', ...endPoint.map(encodeURIComponent)) + queryString(options);
    const init: RequestInit = { method: options.method ?? 'GET', signal: options.signal };
    if (options.body !== undefined) {
      init.body = JSON.stringify(options.body);
    }
    return requestJson<T>(() => ServerConnection.makeRequest(url, init, settings));
  }

  storeAccess(id: string): IStoreAccess {
    const settings = ServerConnection.makeSettings();
    const url = URLExt.join(settings.baseUrl, 'roman-lab', 'stores', id);
    const headers: Record<string, string> = {};
    if (settings.token) {
      headers.Authorization = `token ${settings.token}`;
    }
    return { url: new URL(url, window.location.href).href, init: { headers, credentials: 'same-origin' } };
  }
}

/** The server extension, as the lab reaches it (one for the whole lab: DQ flags are asked once). */
export const labServer = new RomanServer(new LabConnection());
