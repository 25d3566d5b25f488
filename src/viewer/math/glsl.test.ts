import { describe, expect, it } from 'vitest';

import { colormapLUT, lutIndex } from './colormap';
import { HISTEQ_TEXTURE_WIDTH, histEqTexture, IStretchUniforms, stretchUniforms, VIEWER_GLSL } from './glsl';
import { INormalization, makeNormalization, makeStretch, normalizeValue, STRETCH_NAMES } from './stretch';

interface IShader {
  rl_isnan(v: number): boolean;
  rl_interval(v: number): number;
  rl_stretch(x: number): number;
  rl_color(v: number): number[];
}

/**
 * VIEWER_GLSL run as JavaScript: the declarations lose their GLSL types and the built-ins
 * come from Math, so the test checks the very text the GPU compiles (in float64: it checks
 * the formulas, not float32 rounding).
 */
function compileShader(uniforms: IStretchUniforms, knots: ArrayLike<number>, lut: Uint8Array): IShader {
  const js = VIEWER_GLSL.replace(/\/\/.*$/gm, '')
    .replace(/^uniform .*;$/gm, '')
    .replace(/\b(?:float|int|uint|bool|vec4)\s+(\w+)\s*\(([^)]*)\)\s*\{/g, (_m, name: string, params: string) => {
      const names = params
        .split(',')
        .map(p => p.trim().split(/\s+/).pop())
        .filter(Boolean);
      return `function ${name}(${names.join(', ')}) {`;
    })
    .replace(/\b(?:float|int|uint|bool)\s+(\w+)\s*=/g, 'let $1 =')
    .replace(/\b(0x[0-9a-fA-F]+|\d+)u\b/g, '$1');
  const bits = new Float32Array(1);
  const histeq = { knots };
  const colormap = { lut };
  const scope: Record<string, unknown> = {
    ...uniforms,
    u_histeq: histeq,
    u_colormap: colormap,
    floatBitsToUint: (v: number) => {
      bits[0] = v;
      return new Uint32Array(bits.buffer)[0];
    },
    clamp: (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi),
    sqrt: Math.sqrt,
    log: Math.log,
    asinh: Math.asinh,
    sinh: Math.sinh,
    pow: Math.pow,
    min: Math.min,
    int: Math.trunc,
    float: (x: number) => x,
    vec4: (...c: number[]) => (c.length === 1 ? [c[0], c[0], c[0], c[0]] : c),
    ivec2: (x: number, y: number) => [x, y],
    texelFetch: (sampler: unknown, [x, y]: number[]) =>
      sampler === histeq
        ? { r: knots[y * HISTEQ_TEXTURE_WIDTH + x] }
        : Array.from(lut.subarray(4 * x, 4 * x + 4), b => b / 255)
  };
  const make = new Function(...Object.keys(scope), `${js}\nreturn { rl_isnan, rl_interval, rl_stretch, rl_color };`);
  return make(...Object.values(scope)) as IShader;
}

const lut = colormapLUT('viridis');
const sample = Array.from({ length: 3000 }, (_, i) => Math.exp(Math.sin(i * 1.7) * 3) + (i % 11));
const values = [
  ...Array.from({ length: 401 }, (_, i) => -2 + i * 0.035),
  NaN,
  Infinity,
  -Infinity,
  ...sample.slice(0, 200)
];

function shaderFor(norm: INormalization): IShader {
  const knots = norm.stretch.name === 'histeq' ? norm.stretch.knots : [];
  return compileShader(stretchUniforms(norm), knots, lut);
}

describe('the GLSL snippet computes what the TypeScript twin computes', () => {
  for (const name of STRETCH_NAMES) {
    it(name, () => {
      const stretch = makeStretch({ name, a: name === 'power' ? 0.7 : undefined }, sample);
      const norm = makeNormalization(0.5, 9.5, stretch);
      const shader = shaderFor(norm);
      for (const v of values) {
        const twin = normalizeValue(norm, v);
        const colour = shader.rl_color(v);
        if (Number.isNaN(v)) {
          expect(shader.rl_isnan(v)).toBe(true);
          expect(colour).toEqual([0, 0, 0, 0]);
          continue;
        }
        expect(shader.rl_isnan(v)).toBe(false);
        const glsl = shader.rl_stretch(shader.rl_interval(v));
        expect(Math.abs(glsl - twin), `${name}(${v}): glsl ${glsl}, twin ${twin}`).toBeLessThan(1e-12);
        const i = lutIndex(twin);
        expect(colour).toEqual(Array.from(lut.subarray(4 * i, 4 * i + 4), b => b / 255));
      }
    });
  }

  it('maps everything to the first colour when vmin == vmax (astropy: 0)', () => {
    const shader = shaderFor(makeNormalization(3, 3, { name: 'linear' }));
    expect(shader.rl_interval(-5)).toBe(0);
    expect(shader.rl_interval(7)).toBe(0);
  });

  it('gives the uniforms and the knot texture', () => {
    const norm = makeNormalization(1, 2, makeStretch({ name: 'histeq' }, sample));
    const u = stretchUniforms(norm);
    expect(u).toMatchObject({ u_vmin: 1, u_vmax: 2, u_stretch: 6, u_histeqCount: 3000 });
    const tex = histEqTexture(norm.stretch.name === 'histeq' ? norm.stretch.knots : []);
    expect([tex.width, tex.height, tex.data.length]).toEqual([1024, 3, 3072]);
    expect(stretchUniforms(makeNormalization(0, 1, makeStretch({ name: 'log' })))).toMatchObject({
      u_stretch: 2,
      u_stretchA: 1000
    });
  });
});
