/**
 * One uPlot chart of many lines sharing one x axis (all pixel ramps of a circle). uPlot
 * owns the axes, scales, zoom (drag; double-click resets) and cursor; the lines are drawn in
 * its `draw` hook, grouped by class into one path each. A uPlot series per pixel would cost
 * per-series setup and a canvas stroke per line (~1250 of them) on every hover; one path per
 * class keeps a redraw to a few strokes. Two invisible envelope series give uPlot the data
 * range, so its auto-scaling and zoom work unchanged.
 */
import uPlot from 'uplot';

import { JumpKind, PixelClass } from './jumps';

/** Canvas colours, resolved from the panel's CSS variables so they follow the theme. */
export interface IRampColours {
  line: string;
  emphasis: string;
  flagged: string;
  unflagged: string;
  saturated: string;
  guide: string;
  axis: string;
  grid: string;
  font: string;
}

/** A marker on line `line` at sample `sample`. */
export interface IMarker {
  line: number;
  sample: number;
  kind: JumpKind;
}

export interface IRampChartOptions {
  /** x of each sample, shared by all lines. */
  xs: readonly number[];
  /** y of each line at each sample (NaN breaks a line). */
  lines: readonly (readonly number[])[];
  xLabel: string;
  yLabel: string;
  /** Samples (`line * xs.length + sample`) the y range ignores: saturated values would squash every ramp. */
  excludeFromRange?: ReadonlySet<number>;
  colours: () => IRampColours;
  /** Hovering moved to a line (or off all lines: null). */
  onHover: (line: number | null) => void;
}

/** What the chart shows beyond its data; set by the panel on threshold or hover changes. */
export interface IRampChartState {
  classes: Uint8Array;
  markers: readonly IMarker[];
  emphasised: number | null;
  /** Dashed horizontal lines at these y values (the threshold); the y range keeps them in view. */
  guides: readonly number[];
}

/** How near (CSS px) the cursor must come to a line to pick it. */
const PICK_DISTANCE = 8;

/** Opacity of an ordinary ramp: fainter the more there are, so a bundle stays readable. */
export function dimAlpha(lineCount: number): number {
  return Math.min(0.6, Math.max(0.1, 30 / Math.max(1, lineCount)));
}

/** Squared distance from (px, py) to the segment (ax, ay)-(bx, by). */
function segmentDistance2(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0;
  const ex = ax + t * dx - px;
  const ey = ay + t * dy - py;
  return ex * ex + ey * ey;
}

/**
 * The polyline nearest to (px, py) within `maxDistance`, or null. Each line is sampled at
 * `xs` with its own ys (screen units); non-finite points break it; a lone point counts.
 */
export function nearestPolyline(
  xs: ArrayLike<number>,
  ys: (line: number) => ArrayLike<number>,
  lineCount: number,
  px: number,
  py: number,
  maxDistance: number
): number | null {
  let best: number | null = null;
  let bestD2 = maxDistance * maxDistance;
  for (let i = 0; i < lineCount; i++) {
    const y = ys(i);
    for (let k = 0; k < xs.length; k++) {
      if (!Number.isFinite(y[k])) {
        continue;
      }
      const next = k + 1 < xs.length && Number.isFinite(y[k + 1]);
      const d2 = next
        ? segmentDistance2(px, py, xs[k], y[k], xs[k + 1], y[k + 1])
        : segmentDistance2(px, py, xs[k], y[k], xs[k], y[k]);
      if (d2 <= bestD2) {
        bestD2 = d2;
        best = i;
      }
    }
  }
  return best;
}

/**
 * Per-sample min and max over all lines: the invisible series uPlot ranges on. NaN and the
 * `excluded` samples (keys `line * samples + sample`) are left out; null where nothing is left.
 */
export function envelopes(
  lines: readonly (readonly number[])[],
  samples: number,
  excluded: ReadonlySet<number> = new Set()
): [Array<number | null>, Array<number | null>] {
  const low = new Array<number>(samples).fill(Infinity);
  const high = new Array<number>(samples).fill(-Infinity);
  lines.forEach((line, i) => {
    for (let k = 0; k < samples; k++) {
      if (Number.isFinite(line[k]) && !excluded.has(i * samples + k)) {
        low[k] = Math.min(low[k], line[k]);
        high[k] = Math.max(high[k], line[k]);
      }
    }
  });
  const orNull = (v: number): number | null => (Number.isFinite(v) ? v : null);
  return [low.map(orNull), high.map(orNull)];
}

/** [min, max] widened by `fraction` of its span on each side (a unit when the span is 0). */
export function padded(min: number | null, max: number | null, fraction: number): uPlot.Range.MinMax {
  if (min === null || max === null) {
    return [min, max];
  }
  const pad = (max - min || Math.abs(max) || 1) * fraction;
  return [min - pad, max + pad];
}

/** Draw order and colour of line classes: plain ramps first, flagged on top. */
const CLASS_ORDER: ReadonlyArray<[PixelClass, keyof IRampColours]> = [
  [PixelClass.None, 'line'],
  [PixelClass.Saturated, 'saturated'],
  [PixelClass.Unflagged, 'unflagged'],
  [PixelClass.Flagged, 'flagged']
];

export class RampChart {
  constructor(
    host: HTMLElement,
    private readonly options: IRampChartOptions,
    size: { width: number; height: number }
  ) {
    [this.low, this.high] = envelopes(options.lines, options.xs.length, options.excludeFromRange);
    const invisible: uPlot.Series = { paths: () => null, points: { show: false } };
    const axis = (label: string): uPlot.Axis => ({
      label,
      stroke: () => this.options.colours().axis,
      grid: { stroke: () => this.options.colours().grid, width: 1 },
      ticks: { stroke: () => this.options.colours().grid, width: 1 },
      font: `11px ${this.options.colours().font}`,
      labelFont: `12px ${this.options.colours().font}`
    });
    this.plot = new uPlot(
      {
        width: size.width,
        height: size.height,
        legend: { show: false },
        cursor: { y: false, points: { show: false }, drag: { x: true, y: false } },
        scales: {
          x: { time: false, range: (_u, min, max) => padded(min, max, 0.03) },
          y: { range: (_u, min, max) => this.yRange(min, max) }
        },
        axes: [axis(options.xLabel), { ...axis(options.yLabel), size: 64 }],
        series: [{}, invisible, invisible],
        hooks: {
          draw: [u => this.draw(u)],
          setCursor: [u => this.pick(u)]
        }
      },
      [options.xs as number[], this.low, this.high],
      host
    );
  }

  setState(state: IRampChartState): void {
    const guidesChanged = state.guides.join() !== this.state.guides.join();
    this.state = state;
    if (guidesChanged) {
      const [min, max] = this.yRange(...this.visibleExtent());
      if (min !== null && max !== null) {
        this.plot.setScale('y', { min, max });
        return;
      }
    }
    this.plot.redraw(false, false);
  }

  setSize(width: number, height: number): void {
    this.plot.setSize({ width, height });
  }

  /** Redraw with the current colours (after a theme change). */
  refresh(): void {
    this.plot.redraw(false, true);
  }

  dispose(): void {
    this.plot.destroy();
  }

  /** The data's y range with the guides kept in view. */
  private yRange(min: number | null, max: number | null): uPlot.Range.MinMax {
    let lo = min ?? 0;
    let hi = max ?? 1;
    for (const g of this.state.guides) {
      lo = Math.min(lo, g);
      hi = Math.max(hi, g);
    }
    return padded(lo, hi, 0.05);
  }

  /** Min and max of the lines over the samples inside the current x range. */
  private visibleExtent(): [number | null, number | null] {
    // Null until uPlot's first commit (a microtask after construction): the whole range then.
    const min = this.plot.scales.x.min ?? -Infinity;
    const max = this.plot.scales.x.max ?? Infinity;
    let lo: number | null = null;
    let hi: number | null = null;
    this.options.xs.forEach((x, k) => {
      const [l, h] = [this.low[k], this.high[k]];
      if (x >= min && x <= max && l !== null && h !== null) {
        lo = lo === null ? l : Math.min(lo, l);
        hi = hi === null ? h : Math.max(hi, h);
      }
    });
    return [lo, hi];
  }

  private draw(u: uPlot): void {
    const colours = this.options.colours();
    const { xs, lines } = this.options;
    const { classes, emphasised, markers, guides } = this.state;
    const ctx = u.ctx;
    const px = uPlot.pxRatio;
    const X = xs.map(x => u.valToPos(x, 'x', true));
    const Y = (v: number): number => u.valToPos(v, 'y', true);
    const trace = (line: readonly number[]): void => {
      let pen = false;
      for (let k = 0; k < X.length; k++) {
        if (!Number.isFinite(line[k])) {
          pen = false;
        } else if (pen) {
          ctx.lineTo(X[k], Y(line[k]));
        } else {
          ctx.moveTo(X[k], Y(line[k]));
          pen = true;
        }
      }
    };
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.lineJoin = 'round';

    ctx.setLineDash([6 * px, 4 * px]);
    ctx.strokeStyle = colours.guide;
    ctx.lineWidth = px;
    ctx.beginPath();
    for (const g of guides) {
      ctx.moveTo(left, Y(g));
      ctx.lineTo(left + width, Y(g));
    }
    ctx.stroke();
    ctx.setLineDash([]);

    const plain = dimAlpha(lines.length);
    for (const [cls, colour] of CLASS_ORDER) {
      ctx.beginPath();
      lines.forEach((line, i) => {
        if (classes[i] === cls && i !== emphasised) {
          trace(line);
        }
      });
      ctx.globalAlpha = cls === PixelClass.None ? plain : 0.9;
      ctx.strokeStyle = colours[colour];
      ctx.lineWidth = (cls === PixelClass.None ? 1 : 1.5) * px;
      ctx.stroke();
    }
    ctx.globalAlpha = 1;

    // Markers off the y range (saturated values are left out of it) sit on the plot's edge.
    const inset = 5 * px;
    const onPlot = (y: number): number => Math.min(top + height - inset, Math.max(top + inset, Y(y)));
    for (const m of markers) {
      const y = lines[m.line][m.sample];
      if (Number.isFinite(y)) {
        drawMarker(ctx, m.kind, X[m.sample], onPlot(y), px, colours);
      }
    }

    if (emphasised !== null && lines[emphasised]) {
      const line = lines[emphasised];
      ctx.strokeStyle = colours.emphasis;
      ctx.fillStyle = colours.emphasis;
      ctx.lineWidth = 2.5 * px;
      ctx.beginPath();
      trace(line);
      ctx.stroke();
      for (let k = 0; k < X.length; k++) {
        if (Number.isFinite(line[k])) {
          ctx.beginPath();
          ctx.arc(X[k], Y(line[k]), 3 * px, 0, 2 * Math.PI);
          ctx.fill();
        }
      }
      for (const m of markers) {
        if (m.line === emphasised && Number.isFinite(line[m.sample])) {
          drawMarker(ctx, m.kind, X[m.sample], onPlot(line[m.sample]), px * 1.4, colours);
        }
      }
    }
    ctx.restore();
  }

  /** The line under the cursor (CSS px of the plotting area), reported when it changes. */
  private pick(u: uPlot): void {
    const { left, top } = u.cursor;
    let line: number | null = null;
    if (left !== undefined && top !== undefined && left >= 0 && top >= 0) {
      const xs = this.options.xs.map(x => u.valToPos(x, 'x'));
      const lines = this.options.lines;
      line = nearestPolyline(
        xs,
        i => lines[i].map(v => (Number.isFinite(v) ? u.valToPos(v, 'y') : NaN)),
        lines.length,
        left,
        top,
        PICK_DISTANCE
      );
    }
    if (line !== this.hovered) {
      this.hovered = line;
      this.options.onHover(line);
    }
  }

  private readonly plot: uPlot;
  private readonly low: Array<number | null>;
  private readonly high: Array<number | null>;
  private state: IRampChartState = { classes: new Uint8Array(0), markers: [], emphasised: null, guides: [] };
  private hovered: number | null = null;
}

/**
 * Marker shapes differ by kind as well as colour (readable without colour vision): pipeline-
 * flagged a disc, found-but-not-flagged a diamond, saturated a hollow square.
 */
function drawMarker(
  ctx: CanvasRenderingContext2D,
  kind: JumpKind,
  x: number,
  y: number,
  scale: number,
  colours: IRampColours
): void {
  const r = 4 * scale;
  ctx.beginPath();
  if (kind === 'flagged') {
    ctx.arc(x, y, r, 0, 2 * Math.PI);
  } else if (kind === 'unflagged') {
    ctx.moveTo(x, y - r * 1.3);
    ctx.lineTo(x + r * 1.3, y);
    ctx.lineTo(x, y + r * 1.3);
    ctx.lineTo(x - r * 1.3, y);
    ctx.closePath();
  } else {
    ctx.rect(x - r, y - r, 2 * r, 2 * r);
    ctx.strokeStyle = colours.saturated;
    ctx.lineWidth = 1.5 * scale;
    ctx.stroke();
    return;
  }
  ctx.fillStyle = colours[kind];
  ctx.fill();
  ctx.strokeStyle = colours.axis;
  ctx.lineWidth = 0.75 * scale;
  ctx.stroke();
}
