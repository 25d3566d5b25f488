/**
 * "Triage" under a circle of the Roman panel: the ramps of every exposure of the viewer's blink
 * stack inside the circle at once (viewer/triage.ts), shown as a list with a badge per exposure
 * (unflagged jumps, the strongest significance), sorted by it or by time. Clicking an exposure
 * shows it in the viewer and opens its ramps with the strongest unflagged jump's pixel emphasised;
 * "Mark the jumps on the image" outlines, on whichever exposure is shown, its pixels with an
 * unflagged jump.
 */
import { ISkyCircle } from '../viewer/math/regions';
import { ITriageRow } from '../viewer/session/server';
import { byStrongest, byTime, triageBadge, triageExposures } from '../viewer/triage';
import { smallButton } from './buttons';
import { labServer } from './server';
import { RomanViewerWidget } from './viewerWidget';

export interface ITriageBoxOptions {
  viewer: RomanViewerWidget;
  sky: ISkyCircle;
  /** Show the image and open its ramps, emphasising a pixel (the strongest unflagged jump). */
  openRamps: (imageId: string, pixel: [number, number] | null) => void;
}

/** The triage of the viewer's exposures in a circle, drawn into a box that runs it at once. */
export class TriageBox {
  readonly node = document.createElement('div');

  constructor(private readonly options: ITriageBoxOptions) {
    this.node.className = 'jp-RomanSidebar-triage';
    void this.run();
  }

  /** Stops a triage that is still running (the box says so) and takes its marks off the image. */
  cancel(): void {
    this.abort.abort();
    this.setMarking(false);
  }

  private async run(): Promise<void> {
    const { viewer, sky } = this.options;
    const exposures = (viewer.imageView?.images ?? []).filter(image => image.info.kind === 'exposure');
    const status = document.createElement('p');
    this.node.append(status);
    if (exposures.length === 0) {
      this.node.dataset.state = 'error';
      status.textContent = 'No exposure in the blink stack to triage: "Find exposures" and "Load all" first.';
      return;
    }
    this.node.dataset.state = 'running';
    const cancel = smallButton('Cancel', 'jp-RomanSidebar-cancel', () => this.cancel());
    this.node.append(cancel);
    const ids = new Map(exposures.map(image => [image.info.path, image.id]));
    try {
      const rows = await triageExposures(
        labServer,
        exposures.map(image => image.info.path),
        { ra: sky.ra, dec: sky.dec, radius_arcsec: sky.radiusArcsec },
        (done, total) => (status.textContent = `Triaging the ramps of ${total} exposure(s): ${done} done…`),
        this.abort.signal
      );
      cancel.remove();
      this.node.dataset.state = 'done';
      this.show(rows, ids, status);
    } catch (error) {
      cancel.remove();
      this.node.dataset.state = 'error';
      status.textContent = this.abort.signal.aborted ? 'Triage cancelled.' : (error as Error).message;
    }
  }

  private show(rows: ITriageRow[], ids: Map<string, string>, status: HTMLElement): void {
    this.byImage = new Map(rows.filter(r => ids.has(r.path)).map(r => [ids.get(r.path)!, r]));
    const hiding = rows.filter(r => r.unflagged_jumps > 0).length;
    status.textContent = `${hiding} of ${rows.length} exposure(s) have a jump the pipeline did not flag in this circle:`;
    const sort = document.createElement('select');
    sort.className = 'jp-RomanSidebar-triageSort';
    sort.title = 'Order of the list';
    sort.setAttribute('aria-label', 'Order of the list');
    sort.append(new Option('strongest unflagged jump first', 'strongest'), new Option('by time', 'time'));
    const list = document.createElement('ol');
    list.className = 'jp-RomanSidebar-triageList';
    const render = () => {
      list.textContent = '';
      for (const row of sort.value === 'time' ? byTime(rows) : byStrongest(rows)) {
        list.append(this.item(row, ids.get(row.path) ?? null));
      }
    };
    sort.addEventListener('change', render);
    render();
    const mark = document.createElement('label');
    mark.className = 'jp-RomanSidebar-triageMark';
    const toggle = document.createElement('input');
    toggle.type = 'checkbox';
    toggle.addEventListener('change', () => this.setMarking(toggle.checked));
    mark.append(toggle, ' Mark the jumps on the image');
    mark.title = 'Outline the pixels with a jump the pipeline did not flag on the exposure shown (blink to see each one)';
    this.node.append(sort, mark, list);
  }

  /** Outlines the unflagged jumps' pixels of the exposure on screen, following the blink. */
  private setMarking(on: boolean): void {
    const viewer = this.options.viewer;
    if (on === this.marking || viewer.isDisposed) {
      return;
    }
    this.marking = on;
    if (on) {
      viewer.stackChanged.connect(this.markCurrent, this);
      this.markCurrent();
    } else {
      viewer.stackChanged.disconnect(this.markCurrent, this);
      viewer.markPixels([]);
    }
  }

  private markCurrent(): void {
    const viewer = this.options.viewer;
    const current = viewer.imageView?.current;
    viewer.markPixels((current && this.byImage.get(current.id)?.unflagged_pixels) || []);
  }

  private item(row: ITriageRow, imageId: string | null): HTMLElement {
    const item = document.createElement('li');
    item.className = 'jp-RomanSidebar-triageItem';
    item.dataset.path = row.path;
    item.dataset.unflagged = String(row.unflagged_jumps);
    const name = document.createElement('span');
    name.className = 'jp-RomanSidebar-triageName';
    name.textContent = row.name;
    const badge = document.createElement('span');
    badge.className = 'jp-RomanSidebar-triageBadge';
    badge.dataset.hiding = String(row.unflagged_jumps > 0);
    badge.textContent = triageBadge(row);
    item.title = row.note
      ? row.note
      : [
          `${row.detector} ${row.start_time.replace('T', ' ').slice(0, 19)}: ${row.pixels} pixels`,
          row.unflagged_jumps ? `strongest unflagged jump at x ${row.max_x}, y ${row.max_y}, resultant ${row.max_resultant}` : '',
          row.saturated_pixels ? `${row.saturated_pixels} saturated` : '',
          'click: show it and open its ramps'
        ]
          .filter(Boolean)
          .join('; ');
    item.append(badge, name);
    if (imageId && !row.note) {
      item.addEventListener('click', () =>
        this.options.openRamps(imageId, row.unflagged_jumps ? [row.max_x, row.max_y] : null)
      );
    } else {
      item.classList.add('jp-mod-disabled');
    }
    return item;
  }

  private readonly abort = new AbortController();
  /** Each triaged exposure's row, by its image id in the stack. */
  private byImage = new Map<string, ITriageRow>();
  private marking = false;
}
