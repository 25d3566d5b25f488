/**
 * The viewer's pure math: no DOM, WebGL or JupyterLab, so the renderer, the JupyterLab
 * widgets and the notebook widget share it and vitest covers it against astropy.
 */
export * from './colormap';
export * from './glsl';
export * from './lru';
export * from './regions';
export * from './sexagesimal';
export * from './stretch';
export * from './tiles';
export * from './view';
export * from './wcs';
export * from './align';
