/**
 * The lab's state files (NAME.romanview.json, docs/state.md): a viewer's stack, display,
 * view and circles written with paths relative to the state file, and on restoring, the
 * images found again (relative to the state file, then by the absolute path saved).
 */
import { PageConfig } from '@jupyterlab/coreutils';
import { Contents } from '@jupyterlab/services';

import { ICircle } from '../viewer/circles';
import { IImageInfo, ImageView } from '../viewer/view';
import {
  circleToSky,
  folderOf,
  ICircleValue,
  IStateFile,
  readView,
  relativePath,
  resolvePath,
  STATE_FORMAT,
  STATE_VERSION
} from '../viewer/viewState';
import { checkedState } from './stateSchema';

/** True for the files that hold a saved view. */
export function isStateFile(path: string): boolean {
  return /\.romanview\.json$/i.test(path);
}

/** What a viewer saves beyond its view: the circles, the blink interval, the ramp panel's subject. */
export interface IViewerExtras {
  circles: readonly ICircle[];
  blinkSeconds: number;
  rampSelection: { imageId: string; circleId: number } | null;
}

/**
 * A view as a state file to be saved at `statePath`: the stack with paths relative to the
 * state file's folder (and absolute ones), display, centre and zoom, circles, blink interval.
 */
export function buildStateFile(view: ImageView, extras: IViewerExtras, statePath: string): IStateFile {
  const values = readView(view);
  const folder = folderOf(statePath);
  const root = PageConfig.getOption('serverRoot');
  const images = values.images.map(image => ({
    ...image,
    path: relativePath(image.path, folder),
    ...(root ? { absolute_path: `${root.replace(/\/+$/, '')}/${image.path}` } : {})
  }));
  const regions: ICircleValue[] = [];
  for (const circle of extras.circles) {
    const sky = circleToSky(view, circle);
    if (sky) {
      regions.push({ ...sky, id: String(circle.id) });
    }
  }
  const ramps = extras.rampSelection;
  const rampSelection =
    ramps && regions.some(r => r.id === String(ramps.circleId)) && view.images.some(i => i.id === ramps.imageId)
      ? { image: ramps.imageId, region: String(ramps.circleId) }
      : null;
  return {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    saved: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    ...values,
    images,
    regions,
    catalogs: {},
    blink_interval: extras.blinkSeconds,
    ramp_selection: rampSelection
  };
}

/** A state file read back: its images found on the server (with the info the stack shows) and the missing ones. */
export interface IReadState {
  state: IStateFile;
  found: Array<{ path: string; info: Partial<IImageInfo> }>;
  missing: string[];
}

/** Reads and checks a state file, and looks up every image's file at once (metadata only). */
export async function readStateFile(contents: Contents.IManager, statePath: string): Promise<IReadState> {
  const file = await contents.get(statePath, { type: 'file', format: 'text', content: true });
  const state = checkedState(String(file.content));
  const folder = folderOf(statePath);
  const root = (PageConfig.getOption('serverRoot') || '').replace(/\/+$/, '');
  const located = await Promise.all(
    state.images.map(entry => {
      const candidates = [resolvePath(entry.path, folder)];
      if (entry.absolute_path && root && entry.absolute_path.startsWith(`${root}/`)) {
        candidates.push(entry.absolute_path.slice(root.length + 1));
      }
      return firstExisting(contents, candidates.filter((c): c is string => !!c));
    })
  );
  const foundIds = new Set(state.images.filter((_, i) => located[i]).map(entry => entry.id));
  const found: IReadState['found'] = [];
  const missing: string[] = [];
  state.images.forEach((entry, i) => {
    const path = located[i];
    if (!path) {
      missing.push(entry.name);
      return;
    }
    const info: Partial<IImageInfo> = {
      id: entry.id,
      path,
      name: entry.name,
      kind: entry.kind === 'ramp' ? 'user' : entry.kind,
      mark: entry.mark ?? null,
      wcsFrom: entry.wcs_from && foundIds.has(entry.wcs_from) ? entry.wcs_from : null,
      time: entry.meta?.time ?? null,
      detector: entry.meta?.detector ?? null
    };
    found.push({ path, info });
  });
  return { state, found, missing };
}

/** The first of some root-relative paths that the server finds (metadata only, no file read), or null. */
async function firstExisting(contents: Contents.IManager, paths: string[]): Promise<string | null> {
  for (const path of paths) {
    if (await contents.get(path, { content: false }).then(() => true, () => false)) {
      return path;
    }
  }
  return null;
}
