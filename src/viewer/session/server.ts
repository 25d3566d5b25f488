/**
 * The roman-lab endpoints (`/roman-lab/`, docs/rest.md) as the session sees it, written once
 * for both hosts. A host gives only its connection: how a JSON request reaches
 * `/roman-lab/api/...` and how a store's chunks are read (the lab over HTTP through
 * JupyterLab's ServerConnection, the notebook widget over anywidget messages to its kernel).
 */
import type { AsyncReadable } from 'zarrita';

/** A conversion job, as `POST /roman-lab/api/stores` and `GET .../stores/ID` answer. */
export interface IConversion {
  id: string;
  path: string;
  status: 'pending' | 'running' | 'ready' | 'error';
  progress: number;
  message: string;
  display_ready: boolean;
  /** Arrays added to the display-ready store since (finer levels, err, dq): re-read it when this grows. */
  published: number;
  error_status: number | null;
  /** With `wait_s`, once display-ready: the zarr.json documents a viewer opens the store with, by key. */
  metadata?: Record<string, unknown>;
}

/** Where a store's keys are read: its absolute URL with the request options the reads need
 * (auth), or a zarrita store the host reads through itself (`url` then only names it). */
export interface IStoreAccess {
  url: string;
  init?: RequestInit;
  store?: AsyncReadable;
}

export interface IRequestOptions {
  method?: string;
  /** Sent as JSON. */
  body?: unknown;
  query?: Record<string, string>;
  signal?: AbortSignal;
}

/** How a host reaches the server. */
export interface IServerConnection {
  /** A JSON request to `/roman-lab/api/<endPoint...>`; throws ServerError with the server's message. */
  request<T>(endPoint: string[], options?: IRequestOptions): Promise<T>;
  storeAccess(id: string): IStoreAccess;
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

export interface IHealth {
  status: string;
  version: string;
  roman_datamodels: string;
  python: string;
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

/** A sky circle of the ramps request (radius in arcsec). */
export interface IRampCircle {
  ra: number;
  dec: number;
  radius_arcsec: number;
}

/** One exposure's row of a triage (roman_lab.triage as JSON, docs/rest.md). */
export interface ITriageRow {
  /** The path as sent. */
  path: string;
  name: string;
  detector: string;
  start_time: string;
  pixels: number;
  flagged_jumps: number;
  unflagged_jumps: number;
  /** sigma; null without an unflagged jump. */
  max_unflagged_significance: number | null;
  max_x: number;
  max_y: number;
  max_resultant: number;
  saturated_pixels: number;
  /** (x, y) of every pixel with an unflagged jump, strongest first. */
  unflagged_pixels: Array<[number, number]>;
  /** Why it could not be triaged ('' when it was). */
  note: string;
}

/** The server's endpoints, over a host's connection. */
export class RomanServer {
  constructor(readonly connection: IServerConnection) {}

  health(): Promise<IHealth> {
    return this.connection.request<IHealth>(['health']);
  }

  /** Starts or joins a conversion; the server holds the answer up to `waitS` for the first pixels. */
  startConversion(path: string, signal?: AbortSignal, waitS = 0): Promise<IConversion> {
    return this.connection.request<IConversion>(['stores'], { method: 'POST', body: { path, wait_s: waitS }, signal });
  }

  /** A conversion's progress; the server holds the answer up to `waitS` for the first pixels. */
  conversionStatus(id: string, signal?: AbortSignal, waitS = 0): Promise<IConversion> {
    return this.connection.request<IConversion>(['stores', id], { signal, query: waitS > 0 ? { wait_s: String(waitS) } : undefined });
  }

  storeAccess(id: string): IStoreAccess {
    return this.connection.storeAccess(id);
  }

  /** The L1 ramps of the pixels of an exposure inside a sky circle, as JSON (ramps/set.ts parses it). */
  ramps(path: string, circle: IRampCircle, signal?: AbortSignal): Promise<unknown> {
    const query = { path, ra: String(circle.ra), dec: String(circle.dec), radius_arcsec: String(circle.radius_arcsec) };
    return this.connection.request<unknown>(['ramps'], { query, signal });
  }

  /** The jumps of several exposures in one circle, one row per path in the order sent. */
  async triage(paths: string[], circle: IRampCircle, signal?: AbortSignal): Promise<ITriageRow[]> {
    const body = await this.connection.request<{ rows: ITriageRow[] }>(['triage'], {
      method: 'POST',
      body: { paths, ...circle },
      signal
    });
    return body.rows;
  }

  /** Every L2 exposure that covers a sky circle. */
  findExposures(search: IExposureSearch, signal?: AbortSignal): Promise<{ exposures: IExposure[]; message: string }> {
    const query: Record<string, string> = {
      ra: String(search.ra),
      dec: String(search.dec),
      radius_arcsec: String(search.radiusArcsec),
      source: search.source
    };
    if (search.mosaic) {
      query.mosaic = search.mosaic;
    }
    return this.connection.request(['exposures'], { query, signal });
  }

  /** The sky position of an object's name (the server asks Sesame). */
  resolve(name: string): Promise<{ ra: number; dec: number }> {
    return this.connection.request(['resolve'], { query: { name } });
  }

  /** Roman pixel DQ flag names -> bit values, as the server's roman_datamodels defines them (asked once). */
  dqFlags(): Promise<Record<string, number>> {
    this.flags ??= this.connection.request<{ flags: Record<string, number> }>(['dqflags']).then(body => body.flags);
    return this.flags;
  }

  private flags: Promise<Record<string, number>> | null = null;
}

/** Sends a request and reads its JSON answer; throws ServerError with the server's message. */
export async function requestJson<T>(send: () => Promise<Response>): Promise<T> {
  let response: Response;
  try {
    response = await send();
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

/** The query string of a request ('' without one). */
export function queryString(options: IRequestOptions): string {
  return options.query ? `?${new URLSearchParams(options.query)}` : '';
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
