/**
 * Colormaps as 256-entry lookup tables, the ones astronomers know from matplotlib (bytes
 * identical to `cmap(range(256), bytes=True)`), uploaded as a 256 x 1 texture the shader
 * indexes (glsl.ts rl_lutIndex, the twin of lutIndex below).
 */

import { COLORMAP_HEX } from './colormapData';

/** The base colormaps; each also exists reversed as `<name>_r`. */
export type ColormapBase = keyof typeof COLORMAP_HEX;

export const COLORMAP_BASES = Object.keys(COLORMAP_HEX) as ColormapBase[];

/** Every name the viewer offers, in menu order: grey, grey_r, viridis, viridis_r, ... */
export const COLORMAP_NAMES: readonly string[] = COLORMAP_BASES.flatMap(name => [name, `${name}_r`]);

const cache = new Map<string, Uint8Array>();

/**
 * The 256 RGB triplets (768 bytes) of a colormap. Accepts matplotlib's spelling 'gray' too.
 * `_r` reverses the table: exactly matplotlib's `_r` for the listed maps; for grey, matplotlib
 * truncates its reversed floats to bytes, so gray_r differs from this by 1 in a few entries.
 */
export function colormapRGB(name: string): Uint8Array {
  const key = name.replace(/^gray(?=$|_r$)/, 'grey');
  const known = cache.get(key);
  if (known) {
    return known;
  }
  const reversed = key.endsWith('_r');
  const base = (reversed ? key.slice(0, -2) : key) as ColormapBase;
  const hex: string | undefined = COLORMAP_HEX[base];
  if (hex === undefined) {
    throw new Error(`unknown colormap '${name}': use one of ${COLORMAP_NAMES.join(', ')}`);
  }
  const rgb = new Uint8Array(768);
  for (let i = 0; i < 256; i++) {
    const entry = reversed ? 255 - i : i;
    for (let c = 0; c < 3; c++) {
      const at = 6 * entry + 2 * c;
      rgb[3 * i + c] = parseInt(hex.slice(at, at + 2), 16);
    }
  }
  cache.set(key, rgb);
  return rgb;
}

/** RGBA8 bytes (256 x 1 texels, alpha 255) of a colormap, for texImage2D. */
export function colormapLUT(name: string): Uint8Array {
  const rgb = colormapRGB(name);
  const rgba = new Uint8Array(1024);
  for (let i = 0; i < 256; i++) {
    rgba.set(rgb.subarray(3 * i, 3 * i + 3), 4 * i);
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}

/** The table entry for a normalised value t in [0, 1], as matplotlib's Colormap picks it. */
export function lutIndex(t: number): number {
  return Math.min(Math.trunc(t * 256), 255);
}
