/**
 * The anywidget module of `roman_lab.Viewer` (bundled by esbuild into
 * roman_lab/widget/static/widget.js): mounts the lab's viewer core in a notebook output and
 * keeps it in step with the widget's traits (docs/state.md).
 */
import { IWidgetModel } from './applyTraits';
import { RomanWidget } from './romanWidget';

function render({ model, el }: { model: IWidgetModel; el: HTMLElement }): () => void {
  let widget: RomanWidget | null = null;
  try {
    widget = new RomanWidget(model, el);
  } catch (error) {
    const note = document.createElement('div');
    note.className = 'roman-widget-error';
    note.textContent = `The roman-lab viewer cannot start in this browser: ${(error as Error)?.message ?? error}`;
    el.appendChild(note);
  }
  return () => widget?.dispose();
}

export default { render };
