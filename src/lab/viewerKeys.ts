/**
 * The Roman viewer's keys as JupyterLab commands: each key of the canvas (viewInput.ts) is a
 * command with a shortcut in schema/plugin.json (selector `.jp-RomanViewer`), so it shows in the
 * command palette and in Settings → Keyboard Shortcuts, where it can be changed; and the
 * "Keyboard shortcuts" help lists the shortcuts as they are now bound.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { viewKeyActions } from '../viewer/viewInput';
import type { RomanViewerWidget } from './viewerWidget';

export const KEY_HELP_COMMAND = 'roman-lab:keyboard-shortcuts';

/**
 * The view's key commands: id, palette label, and the `viewKeyActions` key each one runs (or
 * what it does to the viewer: the tools, the DQ overlay, a timed blink at the interval of the
 * panel's setting).
 */
const VIEW_KEY_COMMANDS: ReadonlyArray<[string, string, string | ((viewer: RomanViewerWidget) => void)]> = [
  ['roman-lab:pan-tool', 'Pan Tool (drag pans)', viewer => viewer.setTool('pan')],
  ['roman-lab:circle-tool', 'Circle Tool (drag draws a circle)', viewer => viewer.setTool('circle')],
  ['roman-lab:toggle-dq', 'Toggle the DQ Overlay', viewer => viewer.toggleDq()],
  ['roman-lab:fit', 'Fit the Image in the Roman Viewer', 'f'],
  ['roman-lab:zoom-1', 'Zoom to One Screen Pixel per Image Pixel', '1'],
  ['roman-lab:zoom-in', 'Zoom In', '+'],
  ['roman-lab:zoom-out', 'Zoom Out', '-'],
  ['roman-lab:pan-left', 'Pan Left', 'ArrowLeft'],
  ['roman-lab:pan-right', 'Pan Right', 'ArrowRight'],
  ['roman-lab:pan-up', 'Pan Up', 'ArrowUp'],
  ['roman-lab:pan-down', 'Pan Down', 'ArrowDown'],
  ['roman-lab:next-image', 'Next Image in the Blink Stack', 'n'],
  ['roman-lab:previous-image', 'Previous Image in the Blink Stack', 'N'],
  ['roman-lab:blink', 'Blink Through the Stack', viewer => viewer.toggleBlink()]
];

export const DELETE_CIRCLE_COMMAND = 'roman-lab:delete-circle';

/** The ids of the key commands, for the palette. */
export const VIEW_KEY_COMMAND_IDS = [...VIEW_KEY_COMMANDS.map(([id]) => id), DELETE_CIRCLE_COMMAND, KEY_HELP_COMMAND];

/** Adds the key commands acting on the active viewer (`current`). */
export function addViewerKeyCommands(commands: CommandRegistry, current: () => RomanViewerWidget | null): void {
  for (const [id, label, key] of VIEW_KEY_COMMANDS) {
    commands.addCommand(id, {
      label,
      isEnabled: () => !!current()?.imageView,
      execute: () => {
        const viewer = current();
        const view = viewer?.imageView;
        if (!viewer || !view) {
          return;
        }
        if (typeof key === 'function') {
          key(viewer);
        } else {
          viewKeyActions(view)[key]();
        }
      }
    });
  }
  commands.addCommand(DELETE_CIRCLE_COMMAND, {
    label: 'Delete the Selected Circle',
    isEnabled: () => current()?.circles?.selected != null,
    execute: () => {
      const circles = current()?.circles;
      if (circles && circles.selected !== null) {
        circles.remove(circles.selected);
      }
    }
  });
  commands.addCommand(KEY_HELP_COMMAND, {
    label: 'Roman Viewer Keyboard Shortcuts',
    caption: 'The keys of the Roman viewer (change them in Settings → Keyboard Shortcuts)',
    execute: () => showKeyHelp(commands)
  });
}

/** A dialog listing every shortcut of the Roman viewer as it is bound now. */
async function showKeyHelp(commands: CommandRegistry): Promise<void> {
  const table = document.createElement('table');
  table.className = 'jp-RomanKeyHelp';
  const caption = document.createElement('caption');
  caption.textContent = 'With the image focused (click it). Change them in Settings → Keyboard Shortcuts (search “roman”).';
  table.append(caption);
  const byCommand = new Map<string, string[]>();
  for (const binding of commands.keyBindings) {
    if (binding.command.startsWith('roman-lab:') && binding.selector.includes('.jp-RomanViewer')) {
      const keys = byCommand.get(binding.command) ?? [];
      keys.push(binding.keys.map(CommandRegistry.formatKeystroke).join(' '));
      byCommand.set(binding.command, keys);
    }
  }
  for (const [command, keys] of byCommand) {
    const row = table.insertRow();
    const key = document.createElement('th');
    key.scope = 'row';
    key.textContent = keys.join(', ');
    row.append(key);
    row.insertCell().textContent = commands.label(command);
  }
  await showDialog({ title: 'Keyboard shortcuts', body: new Widget({ node: table }), buttons: [Dialog.okButton({ label: 'Close' })] });
}
