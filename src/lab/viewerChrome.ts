/**
 * The Roman viewer's own elements around the image: the progress (or notice, or error) in
 * place of the image until it is drawn, and the status bar (stack navigation, the image's
 * name, images being added, the pixel under the cursor). State for tests and benchmarks is
 * mirrored on the viewer's node as data attributes.
 */
import { StackSession } from '../viewer/session/session';

export class ViewerChrome {
  /** Where the image view mounts. */
  readonly canvasHost: HTMLElement;

  constructor(
    private readonly node: HTMLElement,
    name: string,
    actions: { previous(): void; next(): void; toggleBlink(): void }
  ) {
    node.innerHTML = `
      <div class="jp-RomanViewer-canvasHost"></div>
      <div class="jp-RomanViewer-progress" role="progressbar" aria-valuemin="0" aria-valuemax="100">
        <div class="jp-RomanViewer-progressLabel"></div>
        <div class="jp-RomanViewer-progressTrack"><div class="jp-RomanViewer-progressBar"></div></div>
      </div>
      <div class="jp-RomanViewer-status">
        <span class="jp-RomanViewer-stackNav" hidden>
          <button class="jp-RomanViewer-previous" title="Previous image (Shift+N or [)" aria-label="Previous image">◀</button>
          <button class="jp-RomanViewer-blink" title="Blink through the stack (Space)" aria-label="Blink">▶</button>
          <button class="jp-RomanViewer-next" title="Next image (N or ])" aria-label="Next image">▶▎</button>
          <span class="jp-RomanViewer-position"></span>
        </span>
        <span class="jp-RomanViewer-name"></span><span class="jp-RomanViewer-loading"></span><span class="jp-RomanViewer-readout"></span>
      </div>`;
    this.canvasHost = this.part('canvasHost');
    this.part('name').textContent = name;
    this.part('previous').addEventListener('click', () => actions.previous());
    this.part('next').addEventListener('click', () => actions.next());
    this.part('blink').addEventListener('click', () => actions.toggleBlink());
  }

  showProgress(fraction: number, label: string): void {
    const progress = this.part('progress');
    progress.hidden = false;
    progress.setAttribute('aria-valuenow', String(Math.round(fraction * 100)));
    this.part('progressLabel').textContent = label;
    this.part('progressBar').style.width = `${Math.round(fraction * 100)}%`;
  }

  hideProgress(): void {
    this.part('progress').hidden = true;
  }

  /** A message in place of the image (not an error). */
  showNotice(message: string): void {
    this.showProgress(1, message);
    this.part('progress').classList.add('jp-mod-notice');
    this.node.dataset.ready = 'notice';
  }

  showError(message: string): void {
    this.showProgress(0, message);
    this.part('progress').classList.add('jp-mod-error');
    this.node.dataset.ready = 'error';
  }

  /** How many images are being added to the stack. */
  showAdding(count: number): void {
    this.part('loading').textContent = count ? ` · adding ${count} image${count > 1 ? 's' : ''}…` : '';
    this.node.dataset.adding = String(count);
  }

  /** The status line for the pixel under the cursor. */
  showReadout(text: string): void {
    const readout = this.part('readout');
    readout.textContent = text;
    readout.title = text; // cut with an ellipsis in a narrow viewer
  }

  /** The stack navigation and the current image's name. */
  showStack(session: StackSession): void {
    const view = session.view;
    const count = view.images.length;
    this.part('stackNav').hidden = count < 2;
    this.part('position').textContent = `${view.currentIndex + 1} / ${count}`;
    const blink = this.part('blink');
    blink.textContent = view.blinking ? '❚❚' : '▶';
    blink.setAttribute('aria-pressed', String(view.blinking));
    const name = this.part('name');
    ({ text: name.textContent, title: name.title } = session.currentName());
    this.node.dataset.current = view.current?.id ?? '';
    this.node.dataset.stackSize = String(count);
    this.node.dataset.blinking = String(view.blinking);
  }

  private part(name: string): HTMLElement {
    return this.node.querySelector(`.jp-RomanViewer-${name}`) as HTMLElement;
  }
}
