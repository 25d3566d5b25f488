import { describe, expect, it } from 'vitest';

import { IRequestOptions, IServerConnection, ITriageRow, RomanServer } from './session/server';
import { byStrongest, byTime, triageBadge, triageExposures, TRIAGE_BATCH } from './triage';

function row(name: string, sigma: number | null, extra: Partial<ITriageRow> = {}): ITriageRow {
  return {
    path: `d/${name}`,
    name,
    detector: 'WFI01',
    start_time: `2027-01-01T00:00:0${name.length % 10}`,
    pixels: 21,
    flagged_jumps: 0,
    unflagged_jumps: sigma === null ? 0 : 1,
    max_unflagged_significance: sigma,
    max_x: sigma === null ? -1 : 10,
    max_y: sigma === null ? -1 : 12,
    max_resultant: sigma === null ? -1 : 3,
    saturated_pixels: 0,
    unflagged_pixels: sigma === null ? [] : [[10, 12]],
    note: '',
    ...extra
  };
}

describe('triage order and badges', () => {
  it('puts the strongest unflagged jump first and the rows with a note last, as roman_lab.triage does', () => {
    const rows = [row('a', null), row('bb', 4.2), row('ccc', null, { note: 'no L1', pixels: 0 }), row('dddd', 7.5)];
    expect(byStrongest(rows).map(r => r.name)).toEqual(['dddd', 'bb', 'a', 'ccc']);
    expect(byTime(rows).map(r => r.name)).toEqual(['a', 'bb', 'ccc', 'dddd']);
  });

  it('says what a row found', () => {
    expect(triageBadge(row('a', 5.26, { unflagged_jumps: 2, flagged_jumps: 1 }))).toBe('2 unflagged · 5.3σ · 1 flagged');
    expect(triageBadge(row('a', null))).toBe('no unflagged jump');
    expect(triageBadge(row('a', null, { note: 'Level 1 file x_uncal.asdf not found' }))).toBe('not triaged');
  });
});

describe('triageExposures', () => {
  it('sends the exposures a few at a time and reports progress after each answer', async () => {
    const sent: unknown[] = [];
    const connection: IServerConnection = {
      request: async <T>(endPoint: string[], options?: IRequestOptions) => {
        expect(endPoint).toEqual(['triage']);
        const body = options!.body as { paths: string[]; ra: number; radius_arcsec: number };
        sent.push(body);
        return { rows: body.paths.map(p => row(p.split('/')[1], null, { path: p })) } as T;
      },
      storeAccess: () => ({ url: '', init: {} })
    };
    const paths = Array.from({ length: 2 * TRIAGE_BATCH + 1 }, (_, i) => `d/e${i}_cal.asdf`);
    const progress: Array<[number, number]> = [];
    const rows = await triageExposures(new RomanServer(connection), paths, { ra: 1, dec: 2, radius_arcsec: 3 }, (done, total) =>
      progress.push([done, total])
    );
    expect(rows.map(r => r.path)).toEqual(paths);
    expect(sent).toHaveLength(3);
    expect(sent[0]).toMatchObject({ ra: 1, dec: 2, radius_arcsec: 3, paths: paths.slice(0, TRIAGE_BATCH) });
    expect(progress).toEqual([
      [0, paths.length],
      [TRIAGE_BATCH, paths.length],
      [2 * TRIAGE_BATCH, paths.length],
      [paths.length, paths.length]
    ]);
  });
});
