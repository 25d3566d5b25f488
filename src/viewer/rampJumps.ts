/**
 * Jumps at a threshold chosen in the browser. The server sends every difference's
 * significance, so moving the threshold re-reads those numbers instead of refetching; the
 * server's own `jumps` list only contributes what the browser cannot know: which pixels carry
 * the pipeline's JUMP_DET flag, and which resultants are saturated.
 */
import { IRampSet } from './rampSet';

/**
 * Pipeline-flagged (the pixel has JUMP_DET in the L2 DQ), found here but not flagged, or
 * into a saturated resultant (shown, never counted as a jump).
 */
export type JumpKind = 'flagged' | 'unflagged' | 'saturated';

export interface IJump {
  pixel: number;
  /** The later resultant of the difference. */
  resultant: number;
  significance: number;
  kind: JumpKind;
}

export interface IJumpCounts {
  flagged: number;
  unflagged: number;
  saturated: number;
  /** Pixels with at least one flagged or unflagged jump. */
  pixels: number;
}

/** A pixel's class for its ramp line and grid cell: its jumps' kind, or none. */
export enum PixelClass {
  None = 0,
  Saturated = 1,
  Unflagged = 2,
  Flagged = 3
}

/**
 * Whether a normalised difference is a jump at `threshold`. Only positive steps are (cosmic
 * rays add charge), as in the server's detection (roman_lab/ramps/jumps.py), so the browser's
 * count at the server's threshold matches the server's list.
 */
export function exceeds(significance: number, threshold: number): boolean {
  return significance >= threshold;
}

/** The facts about a ramp set that do not depend on the threshold, computed once. */
export interface IRampFacts {
  /** Pixel carries JUMP_DET in the L2 DQ (per pixel: the DQ array has no time axis). */
  flaggedPixel: Uint8Array;
  /** `pixel * n_resultants + resultant` of each saturated resultant. */
  saturated: Set<number>;
  /** Per pixel, the largest significance over differences into unsaturated resultants (0 if none is positive). */
  strongest: Float64Array;
}

export function rampFacts(set: IRampSet): IRampFacts {
  const n = set.times.length;
  const flaggedPixel = new Uint8Array(set.pixels.length);
  const saturated = new Set<number>();
  for (const [i, k] of set.saturated) {
    saturated.add(i * n + k);
  }
  for (const jump of set.jumps) {
    if (jump.pipeline_flagged) {
      flaggedPixel[jump.pixel] = 1;
    }
    if (jump.saturated) {
      saturated.add(jump.pixel * n + jump.resultant);
    }
  }
  const strongest = new Float64Array(set.pixels.length);
  set.significance.forEach((row, i) => {
    row.forEach((s, d) => {
      if (!saturated.has(i * n + d + 1) && s > strongest[i]) {
        strongest[i] = s;
      }
    });
  });
  return { flaggedPixel, saturated, strongest };
}

/** Every difference that exceeds `threshold`, in pixel then resultant order. */
export function jumpsAt(set: IRampSet, facts: IRampFacts, threshold: number): IJump[] {
  const n = set.times.length;
  const jumps: IJump[] = [];
  set.significance.forEach((row, pixel) => {
    row.forEach((significance, d) => {
      if (!exceeds(significance, threshold)) {
        return;
      }
      const resultant = d + 1;
      const kind: JumpKind = facts.saturated.has(pixel * n + resultant)
        ? 'saturated'
        : facts.flaggedPixel[pixel]
          ? 'flagged'
          : 'unflagged';
      jumps.push({ pixel, resultant, significance, kind });
    });
  });
  return jumps;
}

export function countJumps(jumps: readonly IJump[]): IJumpCounts {
  const counts: IJumpCounts = { flagged: 0, unflagged: 0, saturated: 0, pixels: 0 };
  const pixels = new Set<number>();
  for (const jump of jumps) {
    counts[jump.kind]++;
    if (jump.kind !== 'saturated') {
      pixels.add(jump.pixel);
    }
  }
  counts.pixels = pixels.size;
  return counts;
}

const CLASS_OF: Readonly<Record<JumpKind, PixelClass>> = {
  saturated: PixelClass.Saturated,
  unflagged: PixelClass.Unflagged,
  flagged: PixelClass.Flagged
};

/** Each pixel's class: the most telling kind among its jumps (flagged > unflagged > saturated). */
export function pixelClasses(nPixels: number, jumps: readonly IJump[]): Uint8Array {
  const classes = new Uint8Array(nPixels);
  for (const jump of jumps) {
    classes[jump.pixel] = Math.max(classes[jump.pixel], CLASS_OF[jump.kind]);
  }
  return classes;
}

/** Time of each difference k-1 -> k: the midpoint of its two resultants' mean times. */
export function differenceTimes(times: readonly number[]): number[] {
  return times.slice(1).map((t, d) => (t + times[d]) / 2);
}

/** "12 jumps ≥ 5.0σ in 9 pixels: 10 pipeline-flagged, 2 not flagged (1 saturated, ignored)". */
export function describeJumps(counts: IJumpCounts, threshold: number): string {
  const total = counts.flagged + counts.unflagged;
  const plural = (k: number, word: string): string => `${k} ${word}${k === 1 ? '' : 's'}`;
  let text = `${plural(total, 'jump')} ≥ ${threshold.toFixed(1)}σ`;
  if (total > 0) {
    text += ` in ${plural(counts.pixels, 'pixel')}: ${counts.flagged} pipeline-flagged, ${counts.unflagged} not flagged`;
  }
  if (counts.saturated > 0) {
    text += ` (${counts.saturated} saturated, ignored)`;
  }
  return text;
}
