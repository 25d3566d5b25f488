/**
 * Jumps at a threshold chosen in the browser. The server sends every difference's
 * significance, so moving the threshold re-reads those numbers instead of refetching; the
 * server's own `jumps` list only contributes what the browser cannot know: which pixels carry
 * the pipeline's JUMP_DET flag, and which resultants are saturated.
 *
 * One cosmic ray is one jump (event), even when it raises two differences: a hit between the
 * reads of resultant k puts part of its charge in the difference into k and the rest in the
 * difference out of it. Events follow from the significances by the rule the server uses
 * (`select_events` in roman_lab/ramp/jumps.py): differences at or above the threshold trigger,
 * strongest first; each trigger not yet explained is one event, either the step alone or a hit
 * inside the resultant before or after it (`inside_significance`, explaining both differences
 * around that resultant) when that value beats hypot(step, INSIDE_MARGIN).
 */
import { IRampSet } from './set';

/**
 * Pipeline-flagged (the pixel has JUMP_DET in the L2 DQ), found here but not flagged, or
 * into a saturated resultant (shown, never counted as a jump).
 */
export type JumpKind = 'flagged' | 'unflagged' | 'saturated';

export interface IJump {
  pixel: number;
  /** Where it happened: the resultant the hit fell inside, or the later resultant of a step between two. */
  resultant: number;
  /** The differences it explains (index k - 1 is the one into resultant k): one, or two around `resultant`. */
  differences: number[];
  significance: number;
  kind: JumpKind;
}

/** As roman_lab.ramps.jumps.INSIDE_MARGIN: a hit inside a resultant must beat the step alone by this in quadrature. */
export const INSIDE_MARGIN = 2;

/*
 * The test of a hit between a resultant's reads is `inside_significance` (NaN where there is
 * none). Without it (an older server) two consecutive differences at or above the threshold
 * around a resultant of several reads are one event there, of significance hypot of the two.
 */

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
 * rays add charge), as in the server's detection (roman_lab/ramp/jumps.py), so the browser's
 * count at the server's threshold matches the server's list.
 */
export function exceeds(significance: number, threshold: number): boolean {
  return significance >= threshold;
}

/** The facts about a ramp set that do not depend on the threshold, computed once. */
export interface IRampFacts {
  /** Pixel carries JUMP_DET in the L2 DQ (per pixel: the DQ array has no time axis). */
  flaggedPixel: Uint8Array;
  /** `pixel * n_resultants + resultant` of each jump the L2 records (`jump_indices`); null when it records none. */
  recorded: Set<number> | null;
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
  const recorded = set.pipeline_jumps ? new Set(set.pipeline_jumps.map(([i, k]) => i * n + k)) : null;
  const strongest = new Float64Array(set.pixels.length);
  set.significance.forEach((row, i) => {
    row.forEach((s, d) => {
      if (!saturated.has(i * n + d + 1) && s > strongest[i]) {
        strongest[i] = s;
      }
    });
  });
  return { flaggedPixel, recorded, saturated, strongest };
}

/** The in-resultant values of one pixel (length n_resultants, NaN where none) at `threshold`. */
function insideRow(set: IRampSet, pixel: number, threshold: number): number[] {
  const sent = set.inside_significance?.[pixel];
  if (sent) {
    return sent.map(v => (v === null || v === undefined ? NaN : v));
  }
  const row = set.significance[pixel];
  return set.times.map((_, k) => {
    const before = row[k - 1];
    const after = row[k];
    const multi = (set.read_pattern[k]?.length ?? 1) > 1;
    return k >= 1 && k < row.length && multi && exceeds(before, threshold) && exceeds(after, threshold)
      ? Math.hypot(before, after)
      : NaN;
  });
}

/** Every jump event at `threshold`, in pixel then resultant order (see the module comment for the rule). */
export function jumpsAt(set: IRampSet, facts: IRampFacts, threshold: number): IJump[] {
  const n = set.times.length;
  const jumps: IJump[] = [];
  set.significance.forEach((row, pixel) => {
    const triggers = row
      .map((s, d) => [s, d] as const)
      .filter(([s]) => exceeds(s, threshold))
      .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    if (!triggers.length) {
      return;
    }
    const inside = insideRow(set, pixel, threshold);
    const taken = new Uint8Array(row.length);
    const own: IJump[] = [];
    for (const [step, d] of triggers) {
      if (taken[d]) {
        continue;
      }
      let best = { significance: step, resultant: d + 1, differences: [d] };
      const beat = Math.hypot(step, INSIDE_MARGIN);
      // a step into a saturated resultant is never half of a hit inside one
      const free = (k: number): boolean =>
        k >= 0 && k < row.length && !taken[k] && !facts.saturated.has(pixel * n + k + 1);
      if (free(d) && free(d - 1) && inside[d] > beat) {
        best = { significance: inside[d], resultant: d, differences: [d - 1, d] };
      }
      if (free(d) && free(d + 1) && inside[d + 1] > Math.max(beat, best.significance)) {
        best = { significance: inside[d + 1], resultant: d + 1, differences: [d, d + 1] };
      }
      best.differences.forEach(k => (taken[k] = 1));
      const saturated = best.differences.length === 1 && facts.saturated.has(pixel * n + d + 1);
      // flagged: the pipeline recorded a jump at this pixel and resultant, or (when the L2
      // records none) the pixel's DQ says it found one somewhere in the ramp
      const flagged = facts.recorded ? facts.recorded.has(pixel * n + best.resultant) : facts.flaggedPixel[pixel] === 1;
      const kind: JumpKind = saturated ? 'saturated' : flagged ? 'flagged' : 'unflagged';
      own.push({ pixel, ...best, kind });
    }
    own.sort((a, b) => a.resultant - b.resultant);
    jumps.push(...own);
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
