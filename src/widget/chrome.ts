/**
 * The widget's own elements around the image: the toolbar and its keys, the conversion
 * progress, the status line and the error list. What the buttons do is the widget's
 * (IChromeActions); this module only shows the state it is given.
 */
import { StackSession } from '../viewer/session/session';
import { ILoading } from '../viewer/session/loader';
import { TOOL_BUTTONS, ToolButtonId, toolTooltip } from '../viewer/toolButtons';
import { IViewValues } from '../viewer/viewState';

const MAX_ERRORS_SHOWN = 5;

/** A tool button of the toolbar: the lab's icon, name and tooltip (viewer/toolButtons.ts). */
function toolButton(id: ToolButtonId, part: string, pressed?: boolean): string {
  const attributes = pressed === undefined ? '' : ` aria-pressed="${pressed}"`;
  const tooltip = toolTooltip(id).replace(/"/g, '&quot;');
  return `<button class="roman-widget-${part}" title="${tooltip}" aria-label="${TOOL_BUTTONS[id].label}"${attributes}>${TOOL_BUTTONS[id].svg}</button>`;
}

/** What the toolbar's buttons and keys ask of the widget. */
export interface IChromeActions {
  step(by: 1 | -1): void;
  toggleBlink(): void;
  setTool(tool: 'pan' | 'circle'): void;
  toggleDq(): void;
  toggleRamps(): void;
  fit(): void;
  toggleMark(): void;
  /** The picker chose an image (by id). */
  show(id: string): void;
  /** The user panned or zoomed, or may have. */
  userMovedView(): void;
}

export class WidgetChrome {
  readonly root: HTMLElement;
  /** Where the image view mounts. */
  readonly host: HTMLElement;

  constructor(
    el: HTMLElement,
    private readonly actions: IChromeActions
  ) {
    this.root = document.createElement('div');
    this.root.className = 'roman-widget';
    this.root.dataset.tool = 'pan';
    this.root.setAttribute('data-lm-suppress-shortcuts', 'true');
    this.root.innerHTML = `
      <div class="roman-widget-toolbar">
        <button class="roman-widget-previous" title="Previous image (Shift+N)" aria-label="Previous image">◀</button>
        <button class="roman-widget-blink" title="Blink through the stack (Space)" aria-label="Blink" aria-pressed="false">▶</button>
        <button class="roman-widget-next" title="Next image (N)" aria-label="Next image">▶▎</button>
        <span class="roman-widget-position"></span>
        <select class="roman-widget-picker" title="The image on screen" aria-label="Image on screen"></select>
        <button class="roman-widget-mark" title="Mark the image on screen as suspicious (or clear its mark)" aria-label="Mark" aria-pressed="false">⚑</button>
        <span class="roman-widget-sep"></span>
        ${toolButton('pan', 'pan', true)}${toolButton('circle', 'circle', false)}${toolButton('dq', 'dq', false)}${toolButton('ramps', 'ramp', false)}${toolButton('fit', 'fit')}
      </div>
      <div class="roman-widget-progress" hidden>
        <div class="roman-widget-progressLabel"></div>
        <div class="roman-widget-progressTrack"><div class="roman-widget-progressBar"></div></div>
      </div>
      <div class="roman-widget-host"><div class="roman-widget-empty"></div></div>
      <div class="roman-widget-status">
        <span class="roman-widget-name"></span>
        <span class="roman-widget-readout"></span>
      </div>
      <div class="roman-widget-errors" role="alert"></div>`;
    el.appendChild(this.root);
    this.host = this.part('host');
    this.bindToolbar();
    this.bindKeys();
  }

  part<T extends HTMLElement = HTMLElement>(name: string): T {
    return this.root.querySelector(`.roman-widget-${name}`) as T;
  }

  /** The status line for the pixel under the cursor. */
  set readout(text: string) {
    this.part('readout').textContent = text;
  }

  /** The ramp panel is open (true) or closed. */
  showRamps(open: boolean): void {
    this.part('ramp').setAttribute('aria-pressed', String(open));
  }

  showTool(tool: 'pan' | 'circle'): void {
    this.root.dataset.tool = tool;
    this.part('pan').setAttribute('aria-pressed', String(tool === 'pan'));
    this.part('circle').setAttribute('aria-pressed', String(tool === 'circle'));
  }

  /** The toolbar, name and picker for the stack in the view and the images of the traits. */
  render(values: IViewValues, session: StackSession): void {
    const view = session.view;
    const current = view.current;
    const count = view.images.length;
    const total = values.images.length;
    const loading = total - count;
    const position = this.part('position');
    const short = count > 1 && view.fittingCount < count; // fewer fit in the tile cache than are stacked
    position.textContent = count
      ? `${view.currentIndex + 1} / ${count}${loading > 0 ? ` (+${loading})` : ''}${short ? ` · ${view.fittingCount} kept` : ''}`
      : '';
    position.title = short
      ? `The tile cache holds this view of ${view.fittingCount} of the ${count} images: the others load as they are shown, so a blink shows gaps.`
      : '';
    for (const name of ['previous', 'next', 'blink']) {
      this.part<HTMLButtonElement>(name).disabled = count < 2;
    }
    const blink = this.part('blink');
    blink.textContent = view.blinking ? '❚❚' : '▶';
    blink.setAttribute('aria-pressed', String(view.blinking));
    const mark = this.part<HTMLButtonElement>('mark');
    mark.disabled = !current;
    mark.setAttribute('aria-pressed', String(!!current?.info.mark));
    this.part('dq').setAttribute('aria-pressed', String(values.dq_overlay));
    const name = this.part('name');
    ({ text: name.textContent, title: name.title } = session.currentName());
    const picker = this.part<HTMLSelectElement>('picker');
    const options = values.images.map(entry => {
      const shown = view.images.some(image => image.id === entry.id);
      return `${entry.id}\u0000${entry.name}${entry.mark ? ' ⚑' : ''}${shown ? '' : ' (loading)'}`;
    });
    const key = options.join('\u0001');
    if (key !== this.pickerKey) {
      this.pickerKey = key;
      picker.replaceChildren(
        ...options.map(option => {
          const [id, label] = option.split('\u0000');
          const element = document.createElement('option');
          element.value = id;
          element.textContent = label;
          element.disabled = label.endsWith(' (loading)');
          return element;
        })
      );
    }
    picker.value = current?.id ?? '';
    picker.hidden = total < 2;
    const empty = this.part('empty');
    empty.hidden = total > 0;
    empty.textContent = total > 0 ? '' : 'No images yet: v.load(path) adds Roman ASDF or FITS files, find_exposures(...) results or arrays.';
    Object.assign(this.root.dataset, {
      current: current?.id ?? '',
      stackSize: String(count),
      blinking: String(view.blinking),
      dq: String(values.dq_overlay)
    });
  }

  /**
   * The conversions under way: `waiting` images not yet in the view (`data-loading`), the
   * loader's progress of those still converting.
   */
  showProgress(waiting: number, active: readonly ILoading[]): void {
    const progress = this.part('progress');
    this.root.dataset.loading = String(waiting);
    progress.hidden = waiting === 0;
    const shown = active.find(p => p.started) ?? active[0];
    if (waiting === 0 || !shown) {
      return; // the rest are opened, being added to the view
    }
    const percent = Math.round(shown.progress * 100);
    const others = waiting > 1 ? ` (${waiting} images to go)` : '';
    this.part('progressLabel').textContent = `Converting ${shown.name}: ${shown.message} ${percent}%${others}`;
    const opened = waiting - active.length;
    const mean = (active.reduce((sum, p) => sum + p.progress, 0) + Math.max(0, opened)) / waiting;
    this.part('progressBar').style.width = `${Math.round(mean * 100)}%`;
  }

  /** An error in the widget (never silent): the latest few, each dismissable. */
  showError(message: string): void {
    const errors = this.part('errors');
    const last = errors.lastElementChild?.querySelector('span')?.textContent;
    if (last === message) {
      return;
    }
    const item = document.createElement('div');
    item.className = 'roman-widget-error';
    const text = document.createElement('span');
    text.textContent = message;
    const close = document.createElement('button');
    close.textContent = '×';
    close.title = 'Dismiss';
    close.addEventListener('click', () => {
      item.remove();
      this.root.dataset.errors = String(errors.childElementCount);
    });
    item.append(text, close);
    errors.appendChild(item);
    while (errors.childElementCount > MAX_ERRORS_SHOWN) {
      errors.firstElementChild!.remove();
    }
    this.root.dataset.errors = String(errors.childElementCount);
    console.warn(`roman-lab viewer: ${message}`);
  }

  private bindToolbar(): void {
    const actions = this.actions;
    this.part('previous').addEventListener('click', () => actions.step(-1));
    this.part('next').addEventListener('click', () => actions.step(1));
    this.part('blink').addEventListener('click', () => actions.toggleBlink());
    this.part('pan').addEventListener('click', () => actions.setTool('pan'));
    this.part('circle').addEventListener('click', () => actions.setTool('circle'));
    this.part('dq').addEventListener('click', () => actions.toggleDq());
    this.part('ramp').addEventListener('click', () => actions.toggleRamps());
    this.part('fit').addEventListener('click', () => actions.fit());
    this.part('mark').addEventListener('click', () => actions.toggleMark());
    this.part<HTMLSelectElement>('picker').addEventListener('change', event => actions.show((event.target as HTMLSelectElement).value));
  }

  /** The widget's own keys on the image (the view has its own: arrows, +/-, f, 1, n/N). */
  private bindKeys(): void {
    const host = this.host;
    const moved = () => this.actions.userMovedView();
    host.addEventListener('wheel', moved, { capture: true, passive: true });
    host.addEventListener('pointerup', moved, { capture: true });
    host.addEventListener(
      'pointermove',
      event => {
        if (event.buttons) {
          moved();
        }
      },
      { capture: true }
    );
    host.addEventListener(
      'keydown',
      event => {
        if (event.ctrlKey || event.metaKey || event.altKey) {
          return;
        }
        const own: Record<string, () => void> = {
          ' ': () => this.actions.toggleBlink(),
          c: () => this.actions.setTool('circle'),
          p: () => this.actions.setTool('pan'),
          d: () => this.actions.toggleDq(),
          r: () => this.actions.toggleRamps()
        };
        const action = own[event.key];
        if (action) {
          event.preventDefault();
          event.stopPropagation();
          action();
        } else {
          moved(); // arrows, +/-, f, 1 move the view; n/N change the image (written by onStackChanged)
        }
      },
      { capture: true }
    );
  }

  private pickerKey = '';
}
