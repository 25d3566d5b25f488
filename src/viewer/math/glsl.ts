/**
 * The GLSL (WebGL2, GLSL ES 3.00) that turns a float32 data value into a colour, and the
 * uniforms it reads. One program serves every stretch: the stretch is a uniform, so changing
 * stretch, interval or colormap is a uniform or texture update, never a recompile or refetch.
 *
 * The snippet is the twin of stretch.ts + colormap.ts: glsl.test.ts translates this exact
 * text to JavaScript and checks it against normalizeValue() and lutIndex(), so the shader
 * and the CPU code (itself tested against astropy) cannot drift apart.
 *
 * How the renderer uses it: declare `precision highp float; precision highp int;`, paste
 * VIEWER_GLSL after them, sample the data texture and write
 * `outColor = rl_color(texture(u_data, v_uv).r);`. Uniforms (set from stretchUniforms()):
 *   u_vmin, u_vmax (float)   interval limits in data units
 *   u_stretch (int)          STRETCH_CODE of the stretch
 *   u_stretchA (float)       its parameter a (log, asinh, sinh, power; ignored otherwise)
 *   u_histeq (sampler2D)     R32F knots of the histeq stretch, histEqTexture() layout
 *   u_histeqCount (int)      number of knots
 *   u_colormap (sampler2D)   RGBA8 256 x 1 lookup table, colormapLUT() (NEAREST, no mipmaps)
 * NaN pixels come out as transparent black (the canvas background shows through).
 */

import { INormalization, StretchName } from './stretch';

/** The value of u_stretch for each stretch. */
export const STRETCH_CODE: Readonly<Record<StretchName, number>> = {
  linear: 0,
  sqrt: 1,
  log: 2,
  asinh: 3,
  sinh: 4,
  power: 5,
  histeq: 6
};

/** Width of the histeq knot texture (a power of two: the shader indexes it with & and >>). */
export const HISTEQ_TEXTURE_WIDTH = 1024;

export const VIEWER_GLSL = `// roman-lab viewer: data value -> colour (src/viewer/math/glsl.ts; twin: stretch.ts)
uniform float u_vmin;
uniform float u_vmax;
uniform int u_stretch;
uniform float u_stretchA;
uniform highp sampler2D u_histeq;
uniform int u_histeqCount;
uniform highp sampler2D u_colormap;

bool rl_isnan(float v) {
  uint bits = floatBitsToUint(v);
  return (bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu) != 0u;
}

float rl_interval(float v) {
  if (u_vmax == u_vmin) return 0.0;
  return clamp((v - u_vmin) / (u_vmax - u_vmin), 0.0, 1.0);
}

float rl_knot(int i) {
  return texelFetch(u_histeq, ivec2(i & 1023, i >> 10), 0).r;
}

float rl_histeq(float x) {
  int lo = 0;
  int hi = u_histeqCount;
  for (int step = 0; step < 32; step++) {
    if (lo >= hi) break;
    int mid = (lo + hi) >> 1;
    if (rl_knot(mid) <= x) { lo = mid + 1; } else { hi = mid; }
  }
  int j = lo - 1;
  float last = float(u_histeqCount - 1);
  if (j < 0) return 0.0;
  if (j >= u_histeqCount - 1) return 1.0;
  float x0 = rl_knot(j);
  if (x0 == x) return float(j) / last;
  return (float(j) + (x - x0) / (rl_knot(j + 1) - x0)) / last;
}

float rl_stretch(float x) {
  float a = u_stretchA;
  if (u_stretch == 1) return sqrt(x);
  if (u_stretch == 2) return log(a * x + 1.0) / log(a + 1.0);
  if (u_stretch == 3) return asinh(x / a) / asinh(1.0 / a);
  if (u_stretch == 4) return sinh(x / a) / sinh(1.0 / a);
  if (u_stretch == 5) return pow(x, a);
  if (u_stretch == 6) return rl_histeq(x);
  return x;
}

int rl_lutIndex(float t) {
  return min(int(t * 256.0), 255);
}

vec4 rl_color(float v) {
  if (rl_isnan(v)) return vec4(0.0);
  return texelFetch(u_colormap, ivec2(rl_lutIndex(rl_stretch(rl_interval(v))), 0), 0);
}
`;

/** The scalar uniforms of VIEWER_GLSL for a normalisation. */
export interface IStretchUniforms {
  u_vmin: number;
  u_vmax: number;
  u_stretch: number;
  u_stretchA: number;
  u_histeqCount: number;
}

export function stretchUniforms(norm: INormalization): IStretchUniforms {
  const { stretch } = norm;
  return {
    u_vmin: norm.vmin,
    u_vmax: norm.vmax,
    u_stretch: STRETCH_CODE[stretch.name],
    u_stretchA: 'a' in stretch ? stretch.a : 0,
    u_histeqCount: stretch.name === 'histeq' ? stretch.knots.length : 0
  };
}

/** The R32F texture of histeq knots: row-major, HISTEQ_TEXTURE_WIDTH wide, zero-padded. */
export function histEqTexture(knots: ArrayLike<number>): { data: Float32Array; width: number; height: number } {
  const width = HISTEQ_TEXTURE_WIDTH;
  const height = Math.max(1, Math.ceil(knots.length / width));
  const data = new Float32Array(width * height);
  data.set(knots);
  return { data, width, height };
}
