import { describe, expect, it } from 'vitest';

import { checkedState, stateProblem } from './stateSchema';

const image = { id: 'a1', path: 'deep/r1_cal.asdf', name: 'r1', kind: 'exposure', meta: { time: null, detector: 'WFI02', level: 2 } };
const valid = { format: 'roman-lab-view', version: 1, images: [image], current: 0, display: { stretch: { name: 'asinh' }, interval: { kind: 'percentile', percentile: 99.5 }, colormap: 'grey' } };

describe('state files against the shipped schema', () => {
  it('lets a good state through', () => {
    expect(stateProblem(valid)).toBeNull();
    expect(checkedState(JSON.stringify(valid)).images[0].path).toBe('deep/r1_cal.asdf');
  });

  it('names the first problem where Python would', () => {
    const bad = { ...valid, images: [{ ...image, kind: 'picture' }] };
    expect(stateProblem(bad)).toBe('images[0].kind: must be equal to one of the allowed values ("exposure", "mosaic", "ramp", "user")');
    expect(stateProblem({ ...valid, zoom: 2 })).toBe('the state: must NOT have additional properties ("zoom")');
    expect(stateProblem({ ...valid, images: [{ ...image, meta: { level: 4 } }] })).toMatch(/^images\[0\]\.meta\.level: must be equal to one of/);
    expect(() => checkedState(JSON.stringify({ ...valid, blink_interval: -1 }))).toThrow(
      'it does not follow the state schema: blink_interval: must be > 0'
    );
  });

  it('says what is wrong before the schema does: not JSON, not a state, a newer version', () => {
    expect(() => checkedState('{"format": ')).toThrow(/^it is not JSON/);
    expect(() => checkedState('{"format": "other"}')).toThrow('this is not a roman-lab view state');
    expect(() => checkedState(JSON.stringify({ ...valid, version: 2 }))).toThrow('written by a newer roman-lab');
  });
});
