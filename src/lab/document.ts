/**
 * `.asdf` files as JupyterLab documents that never load their bytes: the model factory has
 * no file format, so the document context skips the contents request (a Roman file is
 * hundreds of MB) and the viewer reads the server's zarr store instead.
 */
import { ABCWidgetFactory, DocumentModel, DocumentRegistry, DocumentWidget } from '@jupyterlab/docregistry';
import { Contents } from '@jupyterlab/services';
import { keyboardIcon, ToolbarButton } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';

import { ToolButtonId, toolTooltip } from '../viewer/toolButtons';
import { toolIcon } from './icons';
import { KEY_HELP_COMMAND } from './viewerKeys';
import { RomanViewerWidget } from './viewerWidget';

export const FACTORY = 'Roman Viewer';
export const MODEL = 'roman-lab-unloaded';
export const FILE_TYPE = 'roman-asdf';
export const FITS_FILE_TYPE = 'roman-fits';
export const VIEW_FILE_TYPE = 'roman-view';

export type RomanDocument = DocumentWidget<RomanViewerWidget>;

/**
 * The model of a Roman file: never filled and never written. Read-only, so "Save" refuses; and
 * reported as collaborative, which is what makes the document context skip the checkpoint it
 * otherwise creates on opening: a full copy of the file (hundreds of MB) in `.ipynb_checkpoints/`
 * beside the user's data.
 */
class UnloadedModel extends DocumentModel {
  constructor() {
    super();
    this.readOnly = true;
  }

  get collaborative(): boolean {
    return true;
  }
}

/** A model that is never filled: `fileFormat: null` tells the context not to fetch content. */
export class UnloadedModelFactory implements DocumentRegistry.IModelFactory<DocumentRegistry.IModel> {
  readonly name = MODEL;
  readonly contentType = 'file' as const;
  readonly fileFormat = null;
  readonly collaborative = false;
  isDisposed = false;

  preferredLanguage(): string {
    return '';
  }

  createNew(): DocumentRegistry.IModel {
    return new UnloadedModel();
  }

  dispose(): void {
    this.isDisposed = true;
  }
}

export class RomanViewerFactory extends ABCWidgetFactory<RomanDocument> {
  constructor(
    options: DocumentRegistry.IWidgetFactoryOptions<RomanDocument>,
    private readonly commands: CommandRegistry,
    private readonly contents: Contents.IManager
  ) {
    super(options);
  }

  protected createNewWidget(context: DocumentRegistry.Context): RomanDocument {
    // A Roman file has no checkpoints: listing them (JupyterLab does, for the tab's caption)
    // makes jupyter_server create `.ipynb_checkpoints/` beside the user's data.
    context.listCheckpoints = () => Promise.resolve([]);
    const content = new RomanViewerWidget(context.path, this.contents);
    const widget = new DocumentWidget({ content, context });
    widget.addClass('jp-RomanDocument');
    addToolButtons(widget, this.commands);
    return widget; // loaded by the plugin once it has given the widget its settings
  }
}

/**
 * The tool buttons in the document's toolbar: JupyterLab toolbar buttons with the shared icons
 * and tooltips (viewer/toolButtons.ts), the active tool and the DQ overlay shown pressed.
 */
function addToolButtons(widget: RomanDocument, commands: CommandRegistry): void {
  const content = widget.content;
  const button = (id: ToolButtonId, onClick: () => void) =>
    new ToolbarButton({ icon: toolIcon(id), tooltip: toolTooltip(id), className: `jp-RomanTool-${id}`, onClick });
  const tools = { pan: button('pan', () => choose('pan')), circle: button('circle', () => choose('circle')) };
  const choose = (tool: 'pan' | 'circle') => {
    content.setTool(tool);
    tools.pan.pressed = tool === 'pan';
    tools.circle.pressed = tool === 'circle';
  };
  const dq = button('dq', () => void commands.execute('roman-lab:toggle-dq'));
  content.dqChanged.connect((_, shown) => (dq.pressed = shown));
  widget.toolbar.addItem('roman-pan', tools.pan);
  widget.toolbar.addItem('roman-circle', tools.circle);
  widget.toolbar.addItem('roman-fit', button('fit', () => content.imageView?.fit()));
  widget.toolbar.addItem('roman-dq', dq);
  widget.toolbar.addItem('roman-png', button('png', () => void commands.execute('roman-lab:export-png')));
  widget.toolbar.addItem(
    'roman-keys',
    new ToolbarButton({
      icon: keyboardIcon,
      tooltip: 'Keyboard shortcuts',
      className: 'jp-RomanTool-keys',
      onClick: () => void commands.execute(KEY_HELP_COMMAND)
    })
  );
  content.toolChanged.connect((_, tool) => choose(tool));
  choose('pan');
}
