import { LabIcon } from '@jupyterlab/ui-components';

import romanSvg from '../../style/icons/roman.svg';

export const romanIcon = new LabIcon({ name: 'roman-lab:roman', svgstr: romanSvg });
