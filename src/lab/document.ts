/**
 * `.asdf` files as JupyterLab documents that never load their bytes: the model factory has
 * no file format, so the document context skips the contents request (a Roman file is
 * hundreds of MB) and the viewer reads the server's zarr store instead.
 */
import { ABCWidgetFactory, DocumentModel, DocumentRegistry, DocumentWidget } from '@jupyterlab/docregistry';

import { RomanViewerWidget } from './viewerWidget';

export const FACTORY = 'Roman Viewer';
export const MODEL = 'roman-lab-unloaded';
export const FILE_TYPE = 'roman-asdf';

export type RomanDocument = DocumentWidget<RomanViewerWidget>;

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
    return new DocumentModel();
  }

  dispose(): void {
    this.isDisposed = true;
  }
}

export class RomanViewerFactory extends ABCWidgetFactory<RomanDocument> {
  protected createNewWidget(context: DocumentRegistry.Context): RomanDocument {
    const content = new RomanViewerWidget(context.path);
    const widget = new DocumentWidget({ content, context });
    widget.addClass('jp-RomanDocument');
    void context.ready.then(() => content.load());
    return widget;
  }
}
