/**
 * The widget's CSS, injected once per page: a notebook output outside JupyterLab has none
 * of the lab extension's style. JupyterLab's theme variables are used where they exist.
 */
const CSS = `
.roman-widget {
  display: flex;
  flex-direction: column;
  font-family: var(--jp-ui-font-family, system-ui, sans-serif);
  font-size: var(--jp-ui-font-size1, 13px);
  color: var(--jp-ui-font-color1, #222);
  border: 1px solid var(--jp-border-color2, #ccc);
  max-width: 100%;
}
.roman-widget-toolbar, .roman-widget-status {
  display: flex;
  align-items: center;
  gap: 4px;
  padding: 2px 4px;
  min-height: 24px;
  background: var(--jp-layout-color2, #eee);
  flex-wrap: wrap;
}
.roman-widget-toolbar button {
  font: inherit;
  min-width: 26px;
  height: 22px;
  padding: 0 6px;
  border: 1px solid var(--jp-border-color1, #bbb);
  border-radius: 2px;
  background: var(--jp-layout-color1, #fff);
  color: inherit;
  cursor: pointer;
}
.roman-widget-toolbar button[aria-pressed='true'] {
  background: var(--jp-brand-color1, #1976d2);
  border-color: var(--jp-brand-color1, #1976d2);
  color: var(--jp-ui-inverse-font-color1, #fff);
}
.roman-widget-toolbar button:disabled { opacity: 0.5; cursor: default; }
.roman-widget-toolbar button svg { display: block; width: 16px; height: 16px; }
.roman-widget-toolbar button svg g { fill: currentColor; }
.roman-widget-toolbar button:focus-visible { outline: 2px solid var(--jp-brand-color1, #1976d2); outline-offset: 1px; }
.roman-widget-toolbar select { font: inherit; max-width: 22ch; }
.roman-widget-position { min-width: 5ch; text-align: center; }
.roman-widget-name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; flex: 1 1 12ch; min-width: 0; }
.roman-widget-sep { flex: 0 0 8px; }
.roman-widget-host {
  position: relative;
  overflow: hidden;
  height: 480px;
  background: #000;
  resize: vertical;
}
.roman-widget-host .jp-RomanImageView-canvas { display: block; outline: none; cursor: crosshair; touch-action: none; }
.roman-widget[data-tool='circle'] .jp-RomanImageView-canvas { cursor: cell; }
.roman-widget .jp-RomanCircles, .roman-widget .roman-widget-markers {
  position: absolute; left: 0; top: 0; pointer-events: none; overflow: visible;
}
.roman-widget .jp-RomanCircle { fill: none; stroke: #3fdc68; stroke-width: 1.5px; }
.roman-widget .jp-RomanCircle.jp-mod-selected { stroke: #ffd23f; stroke-width: 2px; }
.roman-widget .jp-RomanCircle-centre { fill: #ffd23f; }
.roman-widget-markers path { fill: none; stroke-width: 1.5px; }
.roman-widget-progress { padding: 2px 6px; font-size: 12px; background: var(--jp-layout-color2, #eee); }
.roman-widget-progress[hidden] { display: none; }
.roman-widget-progressTrack { height: 3px; background: var(--jp-layout-color3, #ccc); margin-top: 2px; }
.roman-widget-progressBar { height: 100%; width: 0; background: var(--jp-brand-color1, #1976d2); transition: width 0.2s; }
.roman-widget-readout { font-family: var(--jp-code-font-family, monospace); font-size: 12px; white-space: pre; overflow: hidden; text-overflow: ellipsis; }
.roman-widget-errors:empty { display: none; }
.roman-widget-error {
  display: flex; gap: 6px; align-items: flex-start; padding: 3px 6px;
  background: var(--jp-error-color3, #fdd); color: var(--jp-error-color0, #900); font-size: 12px;
}
.roman-widget-error span { flex: 1; white-space: pre-wrap; }
.roman-widget-error button { border: none; background: none; color: inherit; cursor: pointer; font: inherit; }
.roman-widget-ramps { border-top: 1px solid var(--jp-border-color2, #ccc); }
.roman-widget-ramps[hidden] { display: none; }
.roman-widget-rampsHeader { display: flex; align-items: center; gap: 6px; padding: 2px 6px; font-weight: 600; }
.roman-widget-rampsTitle { flex: 1; }
.roman-widget-rampsHeader button { border: none; background: none; color: inherit; cursor: pointer; font: inherit; font-size: 16px; }
.roman-widget-rampsStatus { padding: 0 6px 2px; font-size: 12px; color: var(--jp-ui-font-color2, #666); }
.roman-widget-ramps[data-state='error'] .roman-widget-rampsStatus { color: var(--jp-error-color1, #c00); }
.roman-widget-rampsPanel { height: 420px; overflow: auto; }
.roman-widget-empty {
  position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
  color: #aaa; pointer-events: none; text-align: center; padding: 1em;
}
.roman-widget-empty[hidden] { display: none; }
`;

const STYLE_ID = 'roman-lab-widget-style';

export function injectStyle(doc: Document = document): void {
  if (!doc.getElementById(STYLE_ID)) {
    const style = doc.createElement('style');
    style.id = STYLE_ID;
    style.textContent = CSS;
    doc.head.appendChild(style);
  }
}
