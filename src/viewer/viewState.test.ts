import { readFileSync } from 'fs';
import { describe, expect, it } from 'vitest';

import {
  displayToSettings,
  folderOf,
  parseStateFile,
  relativePath,
  resolvePath,
  settingsToDisplay,
  STATE_VERSION
} from './viewState';

/** The example of docs/state.md, which the Python tests also restore. */
function documentedExample(): unknown {
  const doc = readFileSync(new URL('../../docs/state.md', import.meta.url), 'utf8');
  const example = doc.slice(doc.indexOf('### Example'));
  const start = example.indexOf('```json') + '```json'.length;
  return JSON.parse(example.slice(start, example.indexOf('```', start)));
}

describe('state files', () => {
  it('read the documented example', () => {
    const state = parseStateFile(documentedExample());
    expect(state.version).toBe(STATE_VERSION);
    expect(state.images.length).toBeGreaterThan(1);
    expect(displayToSettings(state.display).stretch.name).toBeTruthy();
  });

  it('refuse a newer version and say what to do', () => {
    const newer = { ...(documentedExample() as object), version: STATE_VERSION + 1 };
    expect(() => parseStateFile(newer)).toThrow(/newer roman-lab \(format version 2\).*upgrade roman-lab/);
  });

  it('refuse what is not a view state', () => {
    expect(() => parseStateFile({ cells: [] })).toThrow(/not a roman-lab view state/);
    expect(() => parseStateFile({ format: 'roman-lab-view', version: 1, images: [] })).toThrow(/no images/);
    expect(() => parseStateFile({ format: 'roman-lab-view', version: 1, images: [{ id: 'a' }] })).toThrow(/images\[0\]/);
  });

  it('fill absent optional keys with the documented defaults', () => {
    const state = parseStateFile({ format: 'roman-lab-view', version: 1, images: [{ id: 'a', path: 'a.asdf' }] });
    expect(state).toMatchObject({ current: 0, reference: null, sync_stretch: true, limits: 'per-image', zoom_level: null, regions: [] });
  });
});

describe('paths in a state file', () => {
  it('are relative to the state file folder and back', () => {
    for (const [path, from] of [
      ['field/a_cal.asdf', 'field'],
      ['field/a_cal.asdf', ''],
      ['field/sub/a.fits', 'field/states'],
      ['a.asdf', 'x/y']
    ]) {
      expect(resolvePath(relativePath(path, from), from)).toBe(path);
    }
    expect(relativePath('field/sub/a.fits', 'field/states')).toBe('../sub/a.fits');
  });

  it('never leave the root', () => {
    expect(resolvePath('../../a.asdf', 'x')).toBeNull();
    expect(folderOf('a/b/c.json')).toBe('a/b');
    expect(folderOf('c.json')).toBe('');
  });
});

describe('displays', () => {
  it('name the grey colormap as matplotlib does and keep the stretch parameter', () => {
    const value = settingsToDisplay({ stretch: { name: 'asinh', a: 0.05 }, interval: { kind: 'zscale' }, colormap: 'grey_r' });
    expect(value).toEqual({ stretch: { name: 'asinh', a: 0.05 }, interval: { kind: 'zscale' }, colormap: 'gray_r' });
    expect(displayToSettings(value).colormap).toBe('grey_r');
  });

  it('refuse an unknown stretch by name', () => {
    expect(() => displayToSettings({ stretch: { name: 'cubic' as never }, interval: { kind: 'minmax' }, colormap: 'gray' })).toThrow(
      /stretch.name must be one of linear/
    );
  });
});
