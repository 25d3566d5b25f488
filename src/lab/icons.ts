import { LabIcon } from '@jupyterlab/ui-components';

import romanSvg from '../../style/icons/roman.svg';
import { TOOL_BUTTONS, ToolButtonId } from '../viewer/toolButtons';

export const romanIcon = new LabIcon({ name: 'roman-lab:roman', svgstr: romanSvg });

const toolIcons = new Map<ToolButtonId, LabIcon>();

/** The LabIcon of a tool button (made once). */
export function toolIcon(id: ToolButtonId): LabIcon {
  let icon = toolIcons.get(id);
  if (!icon) {
    icon = new LabIcon({ name: `roman-lab:${id}`, svgstr: TOOL_BUTTONS[id].svg });
    toolIcons.set(id, icon);
  }
  return icon;
}
