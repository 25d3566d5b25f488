/**
 * JupyterLab glue: the Roman sidebar, the "Open in Roman Viewer" command (palette,
 * file-browser context menu), settings and layout restoration.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, InputDialog, Notification, WidgetTracker } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { FileDialog, IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';
import { Widget } from '@lumino/widgets';

import { isFitsFile, isRomanFile } from '../viewer/products';
import { romanIcon } from './icons';
import { rampWidget } from './rampWidget';
import { RomanSidebar } from './sidebar';
import { FACTORY, FILE_TYPE, FITS_FILE_TYPE, MODEL, VIEW_FILE_TYPE, RomanDocument, RomanViewerFactory, UnloadedModelFactory } from './document';
import { isStateFile } from './stateFile';
import { IViewerDefaults } from './viewerWidget';
import { addViewerKeyCommands, VIEW_KEY_COMMAND_IDS } from './viewerKeys';

const PLUGIN_ID = 'roman-lab:plugin';

export namespace CommandIDs {
  export const open = 'roman-lab:open';
  export const showPanel = 'roman-lab:show-panel';
  export const exportPng = 'roman-lab:export-png';
  export const addToStack = 'roman-lab:add-to-stack';
  export const ramps = 'roman-lab:ramps';
  export const saveState = 'roman-lab:save-state';
  export const restoreState = 'roman-lab:restore-state';
}

const FALLBACK_DEFAULTS: IViewerDefaults = { stretch: 'asinh', colormap: 'grey', percentile: 99.5, chunkCacheMB: 512, blinkInterval: 0.5 };

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Roman Space Telescope viewer: sidebar, commands and file-browser integration.',
  autoStart: true,
  requires: [IDefaultFileBrowser, IDocumentManager],
  optional: [ICommandPalette, ISettingRegistry, ILayoutRestorer, INotebookTracker, IStateDB],
  activate: (
    app: JupyterFrontEnd,
    browser: IDefaultFileBrowser,
    docManager: IDocumentManager,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null,
    notebooks: INotebookTracker | null,
    state: IStateDB | null
  ) => {
    const { commands, shell } = app;
    let defaults = FALLBACK_DEFAULTS;
    const tracker = new WidgetTracker<RomanDocument>({ namespace: 'roman-lab' });
    /** The ramp panels opened from each viewer, newest first (new ones join their area as tabs). */
    const rampPanels = new WeakMap<RomanDocument, Widget[]>();

    app.docRegistry.addFileType({
      name: FILE_TYPE,
      displayName: 'Roman ASDF',
      extensions: ['.asdf'],
      mimeTypes: ['application/x-asdf'],
      fileFormat: 'base64',
      contentType: 'file',
      icon: romanIcon
    });

    app.docRegistry.addFileType({
      name: FITS_FILE_TYPE,
      displayName: 'FITS image',
      extensions: ['.fits', '.fit', '.fts', '.fits.gz'],
      mimeTypes: ['application/fits'],
      fileFormat: 'base64',
      contentType: 'file',
      icon: romanIcon
    });

    app.docRegistry.addFileType({
      name: VIEW_FILE_TYPE,
      displayName: 'Roman view state',
      extensions: ['.romanview.json'],
      pattern: '.*\\.romanview\\.json$',
      mimeTypes: ['application/json'],
      fileFormat: 'text',
      contentType: 'file',
      icon: romanIcon
    });

    app.docRegistry.addModelFactory(new UnloadedModelFactory());
    const factory = new RomanViewerFactory({
      name: FACTORY,
      label: 'Roman Viewer',
      modelName: MODEL,
      fileTypes: [FILE_TYPE, FITS_FILE_TYPE, VIEW_FILE_TYPE],
      defaultFor: [FILE_TYPE, VIEW_FILE_TYPE],
      readOnly: true
    }, commands, app.serviceManager.contents);
    factory.widgetCreated.connect((_, widget) => {
      widget.title.icon = romanIcon;
      widget.content.setDefaults(defaults);
      // at once, not after context.ready (the model holds nothing): the conversion, the
      // server's part of the first pixels, then overlaps JupyterLab's work on the new tab
      void widget.content.load();
      widget.content.rampsWanted.connect(() => void commands.execute(CommandIDs.ramps));
      void tracker.add(widget);
      widget.context.pathChanged.connect(() => void tracker.save(widget));
    });
    app.docRegistry.addWidgetFactory(factory);

    const sidebar = new RomanSidebar(docManager, notebooks, id => shell.activateById(id), commands);
    shell.add(sidebar, 'left', { rank: 850 });
    void sidebar.refreshServer();
    if (state) {
      void sidebar.rememberFolds(state);
    }
    tracker.currentChanged.connect((_, current) => sidebar.setViewer(current?.content ?? null));

    const selectedRomanPath = (): string | null => {
      const item = browser.selectedItems().next();
      return item && !item.done && isRomanFile(item.value.path) ? item.value.path : null;
    };

    /** Asks for a Roman file when the command comes from the palette with nothing selected. */
    const pickRomanPath = async (): Promise<string | null> => {
      const result = await FileDialog.getOpenFiles({
        title: 'Open in Roman Viewer',
        manager: docManager,
        filter: model => (model.type === 'directory' || isRomanFile(model.path) ? {} : null)
      });
      const picked = result.button.accept ? (result.value ?? []) : [];
      return picked.length ? picked[0].path : null;
    };

    commands.addCommand(CommandIDs.open, {
      label: 'Open in Roman Viewer',
      caption: 'Open a Roman ASDF file (L1, L2 or L3) in the Roman viewer',
      icon: romanIcon,
      execute: async args => {
        const path = (args.path as string | undefined) ?? selectedRomanPath() ?? (await pickRomanPath());
        if (!path) {
          return;
        }
        if (!isRomanFile(path)) {
          Notification.error(`${path} is not an ASDF file; the Roman viewer opens .asdf files.`, {
            autoClose: 5000
          });
          return;
        }
        return docManager.openOrReveal(path, FACTORY);
      }
    });

    commands.addCommand(CommandIDs.exportPng, {
      label: 'Export Roman View as PNG',
      caption: 'Save what the active Roman viewer shows as a PNG beside the file',
      isEnabled: () => !!tracker.currentWidget?.content.imageView,
      execute: async () => {
        const widget = tracker.currentWidget;
        if (!widget) {
          return;
        }
        const path = widget.context.path.replace(/\.asdf$/i, '') + '_view.png';
        try {
          const content = await widget.content.viewAsPng();
          await docManager.services.contents.save(path, { type: 'file', format: 'base64', content });
          Notification.success(`Saved the view as ${path}`, { autoClose: 4000 });
        } catch (error) {
          Notification.error(`The view could not be saved as ${path}: ${(error as Error).message}`);
        }
      }
    });

    const current = () => tracker.currentWidget?.content ?? null;
    addViewerKeyCommands(commands, current);

    commands.addCommand(CommandIDs.addToStack, {
      label: 'Add to Blink Stack',
      caption: 'Add the selected images (L2/L3 ASDF, FITS) to the blink stack of the active Roman viewer',
      icon: romanIcon,
      execute: async () => {
        const paths = Array.from(browser.selectedItems())
          .map(item => item.path)
          .filter(path => isRomanFile(path) || isFitsFile(path));
        if (paths.length === 0) {
          Notification.warning('Select Roman ASDF or FITS images in the file browser first.', { autoClose: 4000 });
          return;
        }
        let target = tracker.currentWidget;
        if (!target) {
          // no viewer yet: the first image opens one and becomes the reference frame
          target = (docManager.openOrReveal(paths[0], FACTORY) as RomanDocument | undefined) ?? null;
          paths.shift();
        }
        if (!target) {
          return;
        }
        shell.activateById(target.id);
        const added = await target.content.addImages(paths);
        if (paths.length) {
          Notification.success(`${added} image(s) added to the blink stack of ${target.context.path}.`, { autoClose: 4000 });
        }
      }
    });

    commands.addCommand(CommandIDs.ramps, {
      label: 'Show the Ramps of the Pixels in the Circle',
      caption: 'The Level 1 up-the-ramp samples of every pixel of the current exposure inside the selected circle, jumps marked',
      isEnabled: () => !!current()?.imageView,
      execute: async args => {
        const pixel = args.pixel as [number, number] | undefined; // a pixel to emphasise (a triage's strongest jump)
        const doc = tracker.currentWidget;
        const viewer = doc?.content;
        const image = viewer?.imageView?.current;
        if (!doc || !viewer || !image) {
          return;
        }
        const circle = viewer.selectedSkyCircle();
        if (!circle) {
          Notification.warning('Select a circle first (draw one with the Circle tool, C): the ramps are of the pixels inside it.', {
            autoClose: 5000
          });
          return;
        }
        if (image.info.kind === 'mosaic') {
          Notification.warning(
            `${image.info.name} is a Level 3 mosaic: ramps belong to single exposures. Show an exposure of the blink stack (N) and ask again.`,
            { autoClose: 6000 }
          );
          return;
        }
        const widget = rampWidget({ viewer, imageId: image.id, path: image.info.path, name: image.info.name, circle });
        // the first ramp panel of a viewer beside it, the next ones as tabs of that area
        const beside = rampPanels.get(doc)?.find(panel => !panel.isDisposed);
        shell.add(widget, 'main', beside ? { mode: 'tab-after', ref: beside.id } : { mode: 'split-right', ref: doc.id });
        rampPanels.set(doc, [widget, ...(rampPanels.get(doc) ?? []).filter(panel => !panel.isDisposed)]);
        const selection = { imageId: image.id, circleId: viewer.selectedCircleId! };
        viewer.setRampSelection(selection);
        widget.disposed.connect(() => viewer.setRampSelection(null));
        try {
          await widget.content.load();
          if (pixel) {
            widget.content.highlight(pixel[0], pixel[1]);
          }
        } catch (error) {
          Notification.error(`Ramps of ${image.info.name}: ${(error as Error).message}`, { autoClose: 8000 });
        }
      }
    });

    commands.addCommand(CommandIDs.saveState, {
      label: 'Save the Roman View State…',
      caption: 'Save the blink stack, display, view and circles as NAME.romanview.json, to come back later (or from Python)',
      isEnabled: () => !!current()?.imageView,
      execute: async args => {
        const doc = tracker.currentWidget;
        const viewer = doc?.content;
        const reference = viewer?.imageView?.reference;
        if (!viewer || !reference) {
          return;
        }
        let path = args.path as string | undefined;
        if (!path) {
          const suggested = isStateFile(viewer.path) ? viewer.path : reference.info.path.replace(/\.[^/.]+$/, '') + '.romanview.json';
          const answer = await InputDialog.getText({ title: 'Save the view state as', text: suggested, okLabel: 'Save' });
          if (!answer.button.accept || !answer.value) {
            return;
          }
          path = answer.value.endsWith('.romanview.json') ? answer.value : `${answer.value.replace(/\.json$/, '')}.romanview.json`;
        }
        try {
          const content = JSON.stringify(viewer.stateFile(path), null, 1);
          await docManager.services.contents.save(path, { type: 'file', format: 'text', content });
          Notification.success(`Saved the view (${viewer.imageView!.images.length} images) as ${path}`, { autoClose: 4000 });
        } catch (error) {
          Notification.error(`The view could not be saved as ${path}: ${(error as Error).message}`, { autoClose: 8000 });
        }
      }
    });

    commands.addCommand(CommandIDs.restoreState, {
      label: 'Restore a Roman View State…',
      caption: 'Open a NAME.romanview.json: its images, display, view and circles come back',
      execute: async args => {
        let path = args.path as string | undefined;
        if (!path) {
          const result = await FileDialog.getOpenFiles({
            title: 'Restore a Roman view state',
            manager: docManager,
            filter: model => (model.type === 'directory' || isStateFile(model.path) ? {} : null)
          });
          path = result.button.accept ? result.value?.[0]?.path : undefined;
        }
        if (path) {
          return docManager.openOrReveal(path, FACTORY);
        }
      }
    });

    commands.addCommand(CommandIDs.showPanel, {
      label: 'Show the Roman Panel',
      execute: () => shell.activateById(sidebar.id)
    });

    if (palette) {
      for (const command of [
        CommandIDs.open,
        CommandIDs.showPanel,
        CommandIDs.exportPng,
        CommandIDs.addToStack,
        CommandIDs.ramps,
        CommandIDs.saveState,
        CommandIDs.restoreState,
        ...VIEW_KEY_COMMAND_IDS
      ]) {
        palette.addItem({ command, category: 'Roman' });
      }
    }

    if (restorer) {
      restorer.add(sidebar, sidebar.id);
      void restorer.restore(tracker, {
        command: 'docmanager:open',
        args: widget => ({ path: widget.context.path, factory: FACTORY }),
        name: widget => widget.context.path
      });
    }

    if (settingRegistry) {
      const apply = (settings: ISettingRegistry.ISettings) => {
        defaults = {
          stretch: settings.get('defaultStretch').composite as string,
          colormap: settings.get('defaultColormap').composite as string,
          percentile: settings.get('defaultPercentile').composite as number,
          chunkCacheMB: settings.get('chunkCacheMB').composite as number,
          blinkInterval: settings.get('blinkInterval').composite as number
        };
        tracker.forEach(widget => widget.content.setDefaults(defaults));
      };
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          apply(settings);
          settings.changed.connect(apply);
        })
        .catch(reason => console.error('roman-lab: failed to load settings.', reason));
    }
  }
};

export default [plugin];
