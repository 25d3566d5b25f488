/**
 * Stack-wide jump triage (roman_lab.triage through `POST /roman-lab/api/triage`): the ramps of
 * every exposure behind a circle at once, the one hiding the strongest jump the pipeline did not
 * flag first. The exposures go to the server a few at a time, so progress shows and a triage
 * can stop between requests.
 */
import { IRampCircle, ITriageRow, RomanServer } from './session/server';

/** Exposures per request: each is one ramps read on the server (~20-60 ms warm, seconds cold). */
export const TRIAGE_BATCH = 4;

export async function triageExposures(
  server: RomanServer,
  paths: string[],
  circle: IRampCircle,
  onProgress?: (done: number, total: number) => void,
  signal?: AbortSignal
): Promise<ITriageRow[]> {
  const rows: ITriageRow[] = [];
  onProgress?.(0, paths.length);
  for (let i = 0; i < paths.length; i += TRIAGE_BATCH) {
    rows.push(...(await server.triage(paths.slice(i, i + TRIAGE_BATCH), circle, signal)));
    onProgress?.(rows.length, paths.length);
  }
  return rows;
}

/** roman_lab.triage's order: the strongest unflagged jump first, then by time; rows with a note last. */
export function byStrongest(rows: readonly ITriageRow[]): ITriageRow[] {
  const strength = (row: ITriageRow) => row.max_unflagged_significance ?? -Infinity;
  return [...rows].sort(
    (a, b) => Number(!!a.note) - Number(!!b.note) || strength(b) - strength(a) || byTimeKey(a).localeCompare(byTimeKey(b))
  );
}

/** By start time (then name): the order of the exposures in the sky. */
export function byTime(rows: readonly ITriageRow[]): ITriageRow[] {
  return [...rows].sort((a, b) => byTimeKey(a).localeCompare(byTimeKey(b)));
}

function byTimeKey(row: ITriageRow): string {
  return `${row.start_time} ${row.name}`;
}

/** The badge of a row: "2 unflagged · 5.3σ", "no unflagged jump · 1 flagged", or why it was not triaged. */
export function triageBadge(row: ITriageRow): string {
  if (row.note) {
    return 'not triaged';
  }
  const parts = [
    row.unflagged_jumps
      ? `${row.unflagged_jumps} unflagged · ${row.max_unflagged_significance!.toFixed(1)}σ`
      : 'no unflagged jump'
  ];
  if (row.flagged_jumps) {
    parts.push(`${row.flagged_jumps} flagged`);
  }
  return parts.join(' · ');
}
