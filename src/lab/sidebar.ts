/**
 * The left "Roman" panel: the state of the server extension and of the active
 * Roman viewer. Later it carries regions, exposure search, the blink stack and ramps.
 */
import { Widget } from '@lumino/widgets';

import { fetchHealth } from './api';
import { romanIcon } from './icons';

export class RomanSidebar extends Widget {
  constructor() {
    super();
    this.id = 'roman-lab-sidebar';
    this.addClass('jp-RomanSidebar');
    this.title.icon = romanIcon;
    this.title.caption = 'Roman';
    this.node.innerHTML = `
      <header class="jp-RomanSidebar-header">Roman</header>
      <section class="jp-RomanSidebar-section">
        <h3>Server</h3>
        <p class="jp-RomanSidebar-server" data-state="pending">Checking the roman-lab server extension…</p>
      </section>
      <section class="jp-RomanSidebar-section">
        <h3>Viewer</h3>
        <p class="jp-RomanSidebar-viewer"></p>
      </section>`;
    this.showActiveFile(null);
  }

  /** Asks the server extension for its health and shows the answer. */
  async refreshServer(): Promise<void> {
    const line = this.node.querySelector('.jp-RomanSidebar-server') as HTMLElement;
    try {
      const health = await fetchHealth();
      line.dataset.state = 'ok';
      line.textContent = `roman-lab ${health.version} · roman_datamodels ${health.roman_datamodels} · Python ${health.python}`;
    } catch (error) {
      line.dataset.state = 'error';
      line.textContent = (error as Error).message;
    }
  }

  /** Shows which Roman file the panel acts on (null: none open). */
  showActiveFile(path: string | null): void {
    const line = this.node.querySelector('.jp-RomanSidebar-viewer') as HTMLElement;
    line.textContent =
      path ?? 'No Roman file open. Right-click an .asdf file in the file browser and choose “Open in Roman Viewer”.';
    line.dataset.active = path ? 'true' : 'false';
  }
}
