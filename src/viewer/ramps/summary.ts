/**
 * The panel's text: one summary line of what is plotted, and the readout of one pixel, so a
 * screenshot of the panel says which file, which pixels and which noise model it shows.
 */
import { IJump } from './jumps';
import { IRampSet } from './set';

/** Frames of one resultant as ranges: [4, 5, 6, 7] -> "4–7", [2, 4] -> "2,4". */
function frameRanges(frames: readonly number[]): string {
  const parts: string[] = [];
  let start = 0;
  for (let j = 1; j <= frames.length; j++) {
    if (j === frames.length || frames[j] !== frames[j - 1] + 1) {
      parts.push(j - 1 > start ? `${frames[start]}–${frames[j - 1]}` : `${frames[start]}`);
      start = j;
    }
  }
  return parts.join(',');
}

/** A read pattern as the frames of each resultant: "1 | 2–3 | 4–7". */
export function formatReadPattern(pattern: readonly (readonly number[])[]): string {
  return pattern.map(frameRanges).join(' | ');
}

function baseName(path: string): string {
  return path.split('/').pop() || path;
}

/** "1,250 pixels · 6 resultants, frames 1 | 2–3 | … · threshold 5.0σ · read noise 5.0 DN · gain 2.0 e⁻/DN · file · note". */
export function summaryLine(set: IRampSet, threshold: number): string {
  const parts = [
    `${set.pixels.length.toLocaleString('en-US')} pixel${set.pixels.length === 1 ? '' : 's'}`,
    `${set.times.length} resultants, frames ${formatReadPattern(set.read_pattern)}`,
    `threshold ${threshold.toFixed(1)}σ`,
    `read noise ${set.read_noise.toPrecision(3)} DN`,
    `gain ${set.gain.toPrecision(3)} e⁻/DN`,
    baseName(set.l1_path)
  ];
  if (set.note) {
    parts.push(set.note);
  }
  return parts.join(' · ');
}

const KIND_TEXT = { flagged: 'pipeline-flagged', unflagged: 'not flagged', saturated: 'saturated' } as const;

/** "pixel (2048, 1024): strongest difference 6.1σ; jumps: 2→3 6.1σ not flagged, inside 4 (3→4→5) 107.0σ not flagged". */
export function pixelReadout(set: IRampSet, pixel: number, strongest: number, jumps: readonly IJump[]): string {
  const [x, y] = set.pixels[pixel];
  let text = `pixel (${x}, ${y}): strongest difference ${strongest.toFixed(1)}σ`;
  const own = jumps.filter(j => j.pixel === pixel);
  if (own.length) {
    text +=
      '; jumps: ' +
      own
        .map(j => {
          const where =
            j.differences.length === 2
              ? `inside ${j.resultant} (${j.resultant - 1}→${j.resultant}→${j.resultant + 1})`
              : `${j.resultant - 1}→${j.resultant}`;
          return `${where} ${j.significance.toFixed(1)}σ ${KIND_TEXT[j.kind]}`;
        })
        .join(', ');
  }
  return text;
}
