import { histEqTexture, stretchUniforms, VIEWER_GLSL } from './math/glsl';
import { IMesh } from './math/align';
import { INormalization } from './math/stretch';

/**
 * The WebGL2 tile renderer: float32 display tiles live on the GPU as R32F textures and the
 * interval, stretch and colormap are applied in the fragment shader, so changing the
 * display never refetches or re-uploads data.
 */

/** How pixel values become colours: an astropy normalisation and a colormap table. */
export interface IDisplay {
  norm: INormalization;
  /** 256 x RGBA8 colormap lookup table (colormapLUT). */
  colormap: Uint8Array;
}

/**
 * A tile to draw: the tile texture `texture` through the mesh `mesh` (uploadMesh), which
 * places the tile in the reference image's pixels (math/align.ts).
 */
export interface IMeshDraw {
  texture: string;
  mesh: string;
}

/** The view: centre in level-0 reference pixels, zoom in device pixels per reference pixel. */
export interface IViewTransform {
  centerX: number;
  centerY: number;
  zoom: number;
  width: number;
  height: number;
}

const EMPTY_KNOTS = new Float64Array(0);

// Positions are relative to the mesh origin; u_offset = origin - view centre is computed in
// float64 on the CPU, so large pixel coordinates never meet in float32 (math/align.ts).
const VERTEX_SHADER = `#version 300 es
in vec2 a_position;       // reference pixels minus the mesh origin
in vec2 a_uv;             // 0..1 over the tile rectangle
uniform vec2 u_offset;    // mesh origin - view centre, reference pixels
uniform float u_zoom;     // device pixels per reference pixel
uniform vec2 u_size;      // canvas size in device pixels
out vec2 v_uv;
void main() {
  vec2 clip = (a_position + u_offset) * u_zoom / (0.5 * u_size);
  gl_Position = vec4(clip, 0.0, 1.0);
  v_uv = a_uv;
}`;

const FRAGMENT_SHADER = `#version 300 es
precision highp float;
precision highp int;
${VIEWER_GLSL}
in vec2 v_uv;
uniform highp sampler2D u_data;
out vec4 outColor;
void main() {
  outColor = rl_color(texture(u_data, v_uv).r);
}`;

const MASK_FRAGMENT_SHADER = `#version 300 es
precision highp float;
precision highp usampler2D;
in vec2 v_uv;
uniform usampler2D u_mask;
uniform uint u_bits;
out vec4 outColor;
void main() {
  uint flags = texture(u_mask, v_uv).r & u_bits;
  if (flags == 0u) discard;
  if ((flags & 4u) != 0u) outColor = vec4(1.0, 0.15, 0.15, 0.65);        // JUMP_DET
  else if ((flags & 2u) != 0u) outColor = vec4(1.0, 0.2, 1.0, 0.6);      // SATURATED
  else if ((flags & 1u) != 0u) outColor = vec4(0.3, 0.6, 1.0, 0.55);     // DO_NOT_USE
  else outColor = vec4(1.0, 0.85, 0.2, 0.5);                            // any other flag
}`;

/** Colours of the DQ overlay, for its legend (the mask shader's order of precedence). */
export const DQ_COLOURS: Array<[string, string]> = [
  ['JUMP_DET', 'rgb(255, 38, 38)'],
  ['SATURATED', 'rgb(255, 51, 255)'],
  ['DO_NOT_USE', 'rgb(77, 153, 255)'],
  ['other flags', 'rgb(255, 217, 51)']
];

export class WebGLUnavailableError extends Error {}

export class TileRenderer {
  constructor(readonly canvas: HTMLCanvasElement) {
    const gl = canvas.getContext('webgl2', { antialias: false, premultipliedAlpha: false, preserveDrawingBuffer: true });
    if (!gl) {
      throw new WebGLUnavailableError('This browser has no WebGL2: the Roman viewer needs it to draw images.');
    }
    this.gl = gl;
    this.program = this.link(VERTEX_SHADER, FRAGMENT_SHADER);
    this.maskProgram = this.link(VERTEX_SHADER, MASK_FRAGMENT_SHADER);
    this.colormapTexture = gl.createTexture()!;
    this.histeqTexture = gl.createTexture()!;
    const mesh = ['u_offset', 'u_zoom', 'u_size'];
    for (const name of [...mesh, 'u_data', 'u_colormap', 'u_vmin', 'u_vmax', 'u_stretch', 'u_stretchA', 'u_histeq', 'u_histeqCount']) {
      this.uniforms[name] = gl.getUniformLocation(this.program, name);
    }
    for (const name of [...mesh, 'u_mask', 'u_bits']) {
      this.maskUniforms[name] = gl.getUniformLocation(this.maskProgram, name);
    }
  }

  /** Whether a mesh is on the GPU under `key`. */
  hasMesh(key: string): boolean {
    return this.meshes.has(key);
  }

  /** Uploads a tile's mesh (positions, uvs over the tile's texture, triangle indices) under `key`. */
  uploadMesh(key: string, mesh: IMesh): void {
    const gl = this.gl;
    this.releaseMesh(key);
    const vao = gl.createVertexArray()!;
    gl.bindVertexArray(vao);
    const buffers: WebGLBuffer[] = [];
    // both programs bind a_position to 0 and a_uv to 1 (bindAttribLocation in link)
    for (const [location, values] of [
      [0, mesh.positions],
      [1, mesh.uvs]
    ] as Array<[number, Float32Array]>) {
      const buffer = gl.createBuffer()!;
      gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
      gl.bufferData(gl.ARRAY_BUFFER, values, gl.STATIC_DRAW);
      gl.enableVertexAttribArray(location);
      gl.vertexAttribPointer(location, 2, gl.FLOAT, false, 0, 0);
      buffers.push(buffer);
    }
    const indices = gl.createBuffer()!;
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, indices);
    gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, mesh.indices, gl.STATIC_DRAW);
    buffers.push(indices);
    gl.bindVertexArray(null);
    this.meshes.set(key, {
      vao,
      buffers,
      count: mesh.indices.length,
      type: mesh.indices instanceof Uint16Array ? gl.UNSIGNED_SHORT : gl.UNSIGNED_INT,
      ox: mesh.ox,
      oy: mesh.oy
    });
  }

  releaseMesh(key: string): void {
    const mesh = this.meshes.get(key);
    if (mesh) {
      this.gl.deleteVertexArray(mesh.vao);
      mesh.buffers.forEach(buffer => this.gl.deleteBuffer(buffer));
      this.meshes.delete(key);
    }
  }

  /** Frees every mesh whose key starts with `prefix` (all of an image, or all when ''). */
  releaseMeshes(prefix: string): void {
    for (const key of [...this.meshes.keys()]) {
      if (key.startsWith(prefix)) {
        this.releaseMesh(key);
      }
    }
  }

  /** Uploads a float32 tile (row 0 first, `width` values per row) as an R32F texture. */
  upload(key: string, data: Float32Array, width: number, height: number): void {
    this.uploadTexture(key, width, height, gl => gl.texImage2D(gl.TEXTURE_2D, 0, gl.R32F, width, height, 0, gl.RED, gl.FLOAT, data));
  }

  /** Uploads a uint32 DQ tile as an R32UI texture (integer: never filtered). */
  uploadMask(key: string, data: Uint32Array, width: number, height: number): void {
    this.uploadTexture(key, width, height, gl =>
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.R32UI, width, height, 0, gl.RED_INTEGER, gl.UNSIGNED_INT, data)
    );
  }

  /** A NEAREST, edge-clamped texture filled by `fill`, replacing any under the same key. */
  private uploadTexture(key: string, width: number, height: number, fill: (gl: WebGL2RenderingContext) => void): void {
    const gl = this.gl;
    const texture = gl.createTexture()!;
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    fill(gl);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    this.release(key);
    this.textures.set(key, texture);
  }

  /** Blends the DQ flags selected by `bits` over what is drawn (after `draw`). */
  drawMasks(tiles: IMeshDraw[], view: IViewTransform, bits: number): void {
    const gl = this.gl;
    gl.useProgram(this.maskProgram);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
    const u = this.maskUniforms;
    gl.uniform1ui(u.u_bits, bits >>> 0);
    gl.uniform1i(u.u_mask, 0);
    this.drawMeshes(tiles, view, u);
    gl.disable(gl.BLEND);
  }

  /** Frees a tile's GPU memory (called by the chunk cache on eviction). */
  release(key: string): void {
    const texture = this.textures.get(key);
    if (texture) {
      this.gl.deleteTexture(texture);
      this.textures.delete(key);
    }
  }

  /** Clears the canvas and draws the tiles in order (coarse first, so finer ones cover them). */
  draw(tiles: IMeshDraw[], view: IViewTransform, display: IDisplay): void {
    const gl = this.gl;
    gl.viewport(0, 0, view.width, view.height);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.useProgram(this.program);
    this.bindColormap(display.colormap);
    this.bindHistEq(display.norm);
    const u = this.uniforms;
    const values = stretchUniforms(display.norm);
    gl.uniform1f(u.u_vmin, values.u_vmin);
    gl.uniform1f(u.u_vmax, values.u_vmax);
    gl.uniform1i(u.u_stretch, values.u_stretch);
    gl.uniform1f(u.u_stretchA, values.u_stretchA);
    gl.uniform1i(u.u_histeqCount, values.u_histeqCount);
    gl.uniform1i(u.u_data, 0);
    gl.uniform1i(u.u_colormap, 1);
    gl.uniform1i(u.u_histeq, 2);
    this.drawMeshes(tiles, view, u);
  }

  /** Draws each tile's mesh with its texture on unit 0, with the program in use. */
  private drawMeshes(tiles: IMeshDraw[], view: IViewTransform, u: Record<string, WebGLUniformLocation | null>): void {
    const gl = this.gl;
    gl.uniform1f(u.u_zoom, view.zoom);
    gl.uniform2f(u.u_size, view.width, view.height);
    gl.activeTexture(gl.TEXTURE0);
    for (const tile of tiles) {
      const texture = this.textures.get(tile.texture);
      const mesh = this.meshes.get(tile.mesh);
      if (!texture || !mesh) {
        continue;
      }
      gl.bindTexture(gl.TEXTURE_2D, texture);
      gl.bindVertexArray(mesh.vao);
      // float64 subtraction on the CPU: the small difference survives float32
      gl.uniform2f(u.u_offset, mesh.ox - view.centerX, mesh.oy - view.centerY);
      gl.drawElements(gl.TRIANGLES, mesh.count, mesh.type, 0);
    }
    gl.bindVertexArray(null);
  }

  dispose(): void {
    for (const key of [...this.textures.keys()]) {
      this.release(key);
    }
    this.releaseMeshes('');
    this.gl.deleteTexture(this.colormapTexture);
    this.gl.deleteTexture(this.histeqTexture);
    this.gl.deleteProgram(this.program);
    this.gl.deleteProgram(this.maskProgram);
  }

  private bindColormap(lut: Uint8Array): void {
    const gl = this.gl;
    gl.activeTexture(gl.TEXTURE1);
    gl.bindTexture(gl.TEXTURE_2D, this.colormapTexture);
    if (lut !== this.colormapData) {
      gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, 256, 1, 0, gl.RGBA, gl.UNSIGNED_BYTE, lut);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
      this.colormapData = lut;
    }
    gl.activeTexture(gl.TEXTURE0);
  }

  /** The histeq knots as an R32F texture on unit 2 (re-uploaded only when they change). */
  private bindHistEq(norm: INormalization): void {
    const gl = this.gl;
    gl.activeTexture(gl.TEXTURE2);
    gl.bindTexture(gl.TEXTURE_2D, this.histeqTexture);
    const knots = norm.stretch.name === 'histeq' ? norm.stretch.knots : EMPTY_KNOTS;
    if (knots !== this.histeqKnots) {
      const texture = histEqTexture(knots);
      gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.R32F, texture.width, texture.height, 0, gl.RED, gl.FLOAT, texture.data);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
      this.histeqKnots = knots;
    }
    gl.activeTexture(gl.TEXTURE0);
  }

  private link(vertex: string, fragment: string): WebGLProgram {
    const gl = this.gl;
    const program = gl.createProgram()!;
    for (const [type, source] of [
      [gl.VERTEX_SHADER, vertex],
      [gl.FRAGMENT_SHADER, fragment]
    ] as Array<[number, string]>) {
      const shader = gl.createShader(type)!;
      gl.shaderSource(shader, source);
      gl.compileShader(shader);
      if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
        throw new Error(`Roman viewer shader: ${gl.getShaderInfoLog(shader)}`);
      }
      gl.attachShader(program, shader);
    }
    gl.bindAttribLocation(program, 0, 'a_position');
    gl.bindAttribLocation(program, 1, 'a_uv');
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
      throw new Error(`Roman viewer shader: ${gl.getProgramInfoLog(program)}`);
    }
    return program;
  }

  private readonly gl: WebGL2RenderingContext;
  private readonly program: WebGLProgram;
  private readonly maskProgram: WebGLProgram;
  private readonly maskUniforms: Record<string, WebGLUniformLocation | null> = {};
  private readonly meshes = new Map<
    string,
    { vao: WebGLVertexArrayObject; buffers: WebGLBuffer[]; count: number; type: number; ox: number; oy: number }
  >();
  private readonly colormapTexture: WebGLTexture;
  private colormapData: Uint8Array | null = null;
  private readonly histeqTexture: WebGLTexture;
  private histeqKnots: ArrayLike<number> | null = null;
  private readonly textures = new Map<string, WebGLTexture>();
  private readonly uniforms: Record<string, WebGLUniformLocation | null> = {};
}
