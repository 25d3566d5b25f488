/**
 * The one place the frontend talks to the server extension under `/roman-lab/`.
 * Requests go through jupyter_server's authenticated connection; failures carry
 * the server's own message so notifications say what went wrong.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export class RomanApiError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
    this.name = 'RomanApiError';
  }
}

export interface IHealth {
  status: string;
  version: string;
  roman_datamodels: string;
  python: string;
}

export async function requestAPI<T>(endPoint: string, init: RequestInit = {}): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'roman-lab', 'api', endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new RomanApiError(`The Jupyter server cannot be reached: ${error}`, 0);
  }
  const text = await response.text();
  let body: any = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    const message =
      body?.message ??
      (response.status === 404
        ? 'The roman-lab server extension is not enabled on this Jupyter server.'
        : `The server answered ${response.status} ${response.statusText}.`);
    throw new RomanApiError(message, response.status);
  }
  return body as T;
}

export function fetchHealth(): Promise<IHealth> {
  return requestAPI<IHealth>('health');
}

/** A conversion job, as `POST /roman-lab/api/stores` and `GET .../stores/ID` answer. */
export interface IConversion {
  id: string;
  path: string;
  status: 'pending' | 'running' | 'ready' | 'error';
  progress: number;
  message: string;
  display_ready: boolean;
  error_status: number | null;
  url?: string;
}

export function startConversion(path: string): Promise<IConversion> {
  return requestAPI<IConversion>('stores', { method: 'POST', body: JSON.stringify({ path }) });
}

export function conversionStatus(id: string): Promise<IConversion> {
  return requestAPI<IConversion>(`stores/${encodeURIComponent(id)}`);
}

/** The absolute URL of a store and the request options its chunk reads need (auth). */
export function storeAccess(id: string): { url: string; init: RequestInit } {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'roman-lab', 'stores', id);
  const headers: Record<string, string> = {};
  if (settings.token) {
    headers.Authorization = `token ${settings.token}`;
  }
  return { url: new URL(url, window.location.href).href, init: { headers, credentials: 'same-origin' } };
}

let dqFlags: Promise<Record<string, number>> | null = null;

/** Roman pixel DQ flag names -> bit values, as the server's roman_datamodels defines them. */
export function fetchDqFlags(): Promise<Record<string, number>> {
  dqFlags ??= requestAPI<{ flags: Record<string, number> }>('dqflags').then(body => body.flags);
  return dqFlags;
}

/** The names of the flags set in `value`. */
export function flagNames(value: number, flags: Record<string, number>): string[] {
  return Object.entries(flags)
    .filter(([, bit]) => (value & bit) !== 0)
    .map(([name]) => name);
}

/** One exposure covering a circle (roman_lab.archive.Exposure as JSON). */
export interface IExposure {
  name: string;
  source: 'lineage' | 'local' | 'mast';
  path: string | null;
  uri: string | null;
  exposure_id: string | null;
  start_time: string | null;
  exposure_time: number | null;
  detector: string | null;
  optical_element: string | null;
  x: number | null;
  y: number | null;
  coverage: 'full' | 'partial';
  contributing: boolean | null;
  local: boolean;
}

export interface IExposureSearch {
  ra: number;
  dec: number;
  radiusArcsec: number;
  source: 'auto' | 'lineage' | 'local' | 'mast';
  mosaic?: string;
}

/** Every L2 exposure that covers a sky circle (`GET /roman-lab/api/exposures`). */
export function findExposures(
  search: IExposureSearch,
  signal?: AbortSignal
): Promise<{ exposures: IExposure[]; message: string }> {
  const params = new URLSearchParams({
    ra: String(search.ra),
    dec: String(search.dec),
    radius_arcsec: String(search.radiusArcsec),
    source: search.source
  });
  if (search.mosaic) {
    params.set('mosaic', search.mosaic);
  }
  return requestAPI(`exposures?${params}`, { signal });
}

/** Whether a path of the Jupyter root exists (the contents API without the content: no file is read). */
export async function pathExists(path: string): Promise<boolean> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'api', 'contents', URLExt.encodeParts(path)) + '?content=0';
  return (await ServerConnection.makeRequest(url, {}, settings)).ok;
}

/** A text file of the Jupyter root through the contents API (state files). */
export async function readTextFile(path: string): Promise<string> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'api', 'contents', URLExt.encodeParts(path)) + '?type=file&format=text&content=1';
  const response = await ServerConnection.makeRequest(url, {}, settings);
  if (!response.ok) {
    throw new RomanApiError(response.status === 404 ? `${path} does not exist.` : `${path} could not be read (${response.status}).`, response.status);
  }
  return (await response.json()).content as string;
}
