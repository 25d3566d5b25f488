/**
 * The viewer's tool buttons, as both hosts show them (the lab's document toolbar, the
 * notebook widget's toolbar): one icon (style/icons/*.svg), one name and one key each, so the
 * tooltip names the key the same way everywhere ('Circle (C)').
 */
import circleSvg from '../../style/icons/circle.svg';
import dqSvg from '../../style/icons/dq.svg';
import fitSvg from '../../style/icons/fit.svg';
import panSvg from '../../style/icons/pan.svg';
import pngSvg from '../../style/icons/png.svg';
import rampsSvg from '../../style/icons/ramps.svg';

export type ToolButtonId = 'pan' | 'circle' | 'fit' | 'dq' | 'png' | 'ramps';

export interface IToolButton {
  /** the accessible name */
  label: string;
  /** the key that does the same in the viewer, if any */
  key?: string;
  /** what the button does, after its name and key in the tooltip */
  help: string;
  svg: string;
}

export const TOOL_BUTTONS: Record<ToolButtonId, IToolButton> = {
  pan: { label: 'Pan', key: 'P', help: 'dragging moves the image', svg: panSvg },
  circle: {
    label: 'Circle',
    key: 'C',
    help: 'dragging draws a circle; drag inside moves it, its rim resizes it, Delete removes it',
    svg: circleSvg
  },
  fit: { label: 'Fit', key: 'F', help: 'show the whole image', svg: fitSvg },
  dq: { label: 'DQ flags', key: 'D', help: 'show the data quality flags over the image (zoom in to full resolution)', svg: dqSvg },
  png: { label: 'Save as PNG', help: 'save the view as a PNG beside the file', svg: pngSvg },
  ramps: { label: 'Ramps', key: 'R', help: 'the Level 1 ramps of the selected circle on the exposure on screen', svg: rampsSvg }
};

/** 'Circle (C): dragging draws a circle…' */
export function toolTooltip(id: ToolButtonId): string {
  const { label, key, help } = TOOL_BUTTONS[id];
  return `${label}${key ? ` (${key})` : ''}: ${help}`;
}
