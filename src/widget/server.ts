/**
 * The roman-lab server extension from a notebook output, without JupyterLab's
 * ServerConnection: the base URL and token come from the page's `jupyter-config-data`,
 * the XSRF token from the `_xsrf` cookie (sent as `X-XSRFToken`, as @jupyterlab/services
 * does), and errors carry the server's own JSON `message`.
 */

export interface IServerSettings {
  /** The server's base URL as an absolute URL ending in '/'. */
  baseUrl: string;
  /** The API token ('' when the page has none: the session cookie authenticates). */
  token: string;
}

export class ServerError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
    this.name = 'ServerError';
  }
}

/** A conversion job, as `POST /roman-lab/api/stores` and `GET .../stores/ID` answer (docs/rest.md). */
export interface IConversion {
  id: string;
  path: string;
  status: 'pending' | 'running' | 'ready' | 'error';
  progress: number;
  message: string;
  display_ready: boolean;
  error_status: number | null;
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

/** What a failed answer says to a person: the server's `message`, else a sentence about the status. */
export function errorMessage(status: number, statusText: string, body: unknown): string {
  const message = (body as { message?: unknown } | null)?.message;
  if (typeof message === 'string' && message) {
    return message;
  }
  if (status === 404) {
    return 'The roman-lab server extension is not enabled on this Jupyter server.';
  }
  if (status === 403) {
    return 'The Jupyter server refused the request (403): not logged in, or the file is outside its root folder.';
  }
  return `The server answered ${status} ${statusText}.`.replace(/ \.$/, '.');
}

function cookies(): string {
  return typeof document !== 'undefined' ? document.cookie : '';
}

/** A JSON request to `/roman-lab/api/...`; throws ServerError with the server's message. */
export async function requestApi<T>(
  settings: IServerSettings,
  endPoint: string[],
  init: { method?: string; body?: unknown; signal?: AbortSignal; query?: Record<string, string> } = {}
): Promise<T> {
  const query = init.query ? `?${new URLSearchParams(init.query)}` : '';
  const url = serverUrl(settings, 'roman-lab', 'api', ...endPoint) + query;
  const hasBody = init.body !== undefined;
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method ?? 'GET',
      headers: authHeaders(settings, cookies(), hasBody),
      body: hasBody ? JSON.stringify(init.body) : undefined,
      credentials: 'same-origin',
      cache: 'no-store',
      signal: init.signal
    });
  } catch (error) {
    if ((error as Error)?.name === 'AbortError') {
      throw error;
    }
    throw new ServerError(`The Jupyter server cannot be reached: ${(error as Error)?.message ?? error}`, 0);
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    throw new ServerError(errorMessage(response.status, response.statusText, body), response.status);
  }
  return body as T;
}

/** Starts (or joins) the conversion of a file (an absolute path inside the server's root). */
export function startConversion(settings: IServerSettings, path: string, signal?: AbortSignal): Promise<IConversion> {
  return requestApi<IConversion>(settings, ['stores'], { method: 'POST', body: { path }, signal });
}

export function conversionStatus(settings: IServerSettings, id: string, signal?: AbortSignal): Promise<IConversion> {
  return requestApi<IConversion>(settings, ['stores', id], { signal });
}

/** The absolute URL of a store and the request options its chunk reads need. */
export function storeAccess(settings: IServerSettings, id: string): { url: string; init: RequestInit } {
  const headers: Record<string, string> = {};
  if (settings.token) {
    headers.Authorization = `token ${settings.token}`;
  }
  return { url: `${serverUrl(settings, 'roman-lab', 'stores', id)}/`, init: { headers, credentials: 'same-origin' } };
}

/** The L1 ramps of the pixels of an exposure inside a sky circle (`GET /roman-lab/api/ramps`), as JSON. */
export function fetchRamps(
  settings: IServerSettings,
  request: { path: string; ra: number; dec: number; radius_arcsec: number },
  signal?: AbortSignal
): Promise<unknown> {
  const query = {
    path: request.path,
    ra: String(request.ra),
    dec: String(request.dec),
    radius_arcsec: String(request.radius_arcsec)
  };
  return requestApi<unknown>(settings, ['ramps'], { query, signal });
}
