/**
 * The exposures a search found under a circle (the sidebar's "Find exposures"): a summary, a
 * table to tick (those not on this server cannot be loaded), Load all and Load selected.
 */
import { IExposure } from '../viewer/session/server';
import { smallButton } from './buttons';

export function exposureResults(found: { exposures: IExposure[]; message: string }, load: (paths: string[]) => void): HTMLElement[] {
  const summary = document.createElement('p');
  summary.textContent = found.exposures.length
    ? `${found.exposures.length} exposure(s) cover this circle:`
    : found.message || 'No exposure covers this circle.';
  const table = document.createElement('table');
  table.className = 'jp-RomanSidebar-exposureTable';
  for (const e of found.exposures) {
    const row = table.insertRow();
    row.title = `${e.path ?? e.uri ?? e.name}${e.x !== null ? ` at pixel ${e.x.toFixed(1)}, ${e.y!.toFixed(1)}` : ''}`;
    const pick = document.createElement('input');
    pick.type = 'checkbox';
    pick.className = 'jp-RomanSidebar-pick';
    pick.disabled = !e.path;
    pick.dataset.path = e.path ?? '';
    pick.title = e.path ? 'Select for "Load selected"' : 'Not on this server: download it from Python (ExposureList.download) first';
    pick.setAttribute('aria-label', `Select ${e.name}`);
    row.insertCell().append(pick);
    for (const text of [
      (e.start_time ?? '').replace('T', ' ').slice(0, 19),
      [e.detector, e.optical_element].filter(Boolean).join(' · '),
      e.exposure_time !== null ? `${Math.round(e.exposure_time)} s` : '',
      e.coverage + (e.contributing === false ? ', masked' : ''),
      e.name
    ]) {
      row.insertCell().textContent = text;
    }
  }
  const parts: HTMLElement[] = [summary, table];
  const loadable = found.exposures.filter(e => e.path).map(e => e.path!);
  if (loadable.length) {
    const picked = () =>
      Array.from(table.querySelectorAll<HTMLInputElement>('.jp-RomanSidebar-pick:checked')).map(input => input.dataset.path!);
    parts.push(
      smallButton(`Load all (${loadable.length})`, 'jp-RomanSidebar-loadAll', () => load(loadable)),
      smallButton('Load selected', 'jp-RomanSidebar-loadSelected', () => load(picked()))
    );
  }
  return parts;
}
