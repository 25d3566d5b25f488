/**
 * The notebook widget's connection to the server extension, without JupyterLab's
 * ServerConnection: the base URL and token come from the page's `jupyter-config-data`,
 * the XSRF token from the `_xsrf` cookie (sent as `X-XSRFToken`, as @jupyterlab/services
 * does). The widget uses it when the page's server answers (connection.ts), else its kernel.
 */
import { IRequestOptions, IServerConnection, IStoreAccess, queryString, requestJson } from '../viewer/session/server';

export interface IServerSettings {
  /** The server's base URL as an absolute URL ending in '/'. */
  baseUrl: string;
  /** The API token ('' when the page has none: the session cookie authenticates). */
  token: string;
}

/**
 * The settings from the page config JSON (null: no such element) and the page's location.
 * The base URL is resolved against the page, so a relative or missing one works.
 */
export function serverSettings(configText: string | null, location: string): IServerSettings {
  let config: { baseUrl?: unknown; token?: unknown } = {};
  if (configText) {
    try {
      config = JSON.parse(configText) ?? {};
    } catch {
      config = {};
    }
  }
  const base = typeof config.baseUrl === 'string' && config.baseUrl ? config.baseUrl : '/';
  const url = new URL(base, location).href;
  return { baseUrl: url.endsWith('/') ? url : `${url}/`, token: typeof config.token === 'string' ? config.token : '' };
}

/** The settings of the page this module runs in. */
export function pageSettings(): IServerSettings {
  const element = typeof document !== 'undefined' ? document.getElementById('jupyter-config-data') : null;
  return serverSettings(element?.textContent ?? null, typeof location !== 'undefined' ? location.href : 'http://localhost/');
}

/** A URL under the server's base: `parts` are joined with '/', each percent-encoded. */
export function serverUrl(settings: IServerSettings, ...parts: string[]): string {
  return settings.baseUrl + parts.map(part => encodeURIComponent(part)).join('/');
}

/** One cookie's value from a `document.cookie` string (undefined when absent). */
export function getCookie(cookies: string, name: string): string | undefined {
  for (const part of cookies.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) {
      return decodeURIComponent(part.slice(at + 1).trim());
    }
  }
  return undefined;
}

/** The headers of an authenticated request: the token, and the XSRF token for POSTs. */
export function authHeaders(settings: IServerSettings, cookies: string, json = false): Record<string, string> {
  const headers: Record<string, string> = {};
  if (settings.token) {
    headers.Authorization = `token ${settings.token}`;
  }
  const xsrf = getCookie(cookies, '_xsrf');
  if (xsrf !== undefined) {
    headers['X-XSRFToken'] = xsrf;
  }
  if (json) {
    headers['Content-Type'] = 'application/json';
  }
  return headers;
}

function cookies(): string {
  return typeof document !== 'undefined' ? document.cookie : '';
}

/** The absolute URL of a store and the request options its chunk reads need. */
export function storeAccess(settings: IServerSettings, id: string): IStoreAccess {
  const headers: Record<string, string> = {};
  if (settings.token) {
    headers.Authorization = `token ${settings.token}`;
  }
  return { url: `${serverUrl(settings, 'roman-lab', 'stores', id)}/`, init: { headers, credentials: 'same-origin' } };
}

/** The connection of a notebook output's page: `fetch` with the page's base URL, token and XSRF cookie. */
export class PageConnection implements IServerConnection {
  constructor(readonly settings: IServerSettings = pageSettings()) {}

  request<T>(endPoint: string[], options: IRequestOptions = {}): Promise<T> {
    const url = serverUrl(this.settings, 'roman-lab', 'api', ...endPoint) + queryString(options);
    const hasBody = options.body !== undefined;
    return requestJson<T>(() =>
      fetch(url, {
        method: options.method ?? 'GET',
        headers: authHeaders(this.settings, cookies(), hasBody),
        body: hasBody ? JSON.stringify(options.body) : undefined,
        credentials: 'same-origin',
        cache: 'no-store',
        signal: options.signal
      })
    );
  }

  storeAccess(id: string): IStoreAccess {
    return storeAccess(this.settings, id);
  }
}
