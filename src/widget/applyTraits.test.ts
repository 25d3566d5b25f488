import { describe, expect, it } from 'vitest';

import type { ImageView } from '../viewer/view';
import { IViewImage, viewDefaults } from '../viewer/viewState';
import { IModelValues, IWidgetModel, modelValues, stackChanges } from './applyTraits';

function entry(id: string): IViewImage {
  return { id, path: `${id}.asdf`, name: id, kind: 'exposure' } as IViewImage;
}

function values(change: Partial<IModelValues>): IModelValues {
  return { ...viewDefaults(), images: [entry('a'), entry('b'), entry('c')], blinking: false, ...change };
}

/** The part of an ImageView that `stackChanges` reads. */
function view(held: string[], current: string, blinking = false): ImageView {
  return { images: held.map(id => ({ id })), current: { id: current }, blinking } as unknown as ImageView;
}

describe('stackChanges', () => {
  it('writes back the image the user put on screen, and blinking', () => {
    expect(stackChanges(view(['a', 'b'], 'b'), values({}))).toEqual({ current: 1 });
    expect(stackChanges(view(['a', 'b'], 'a', true), values({}))).toEqual({ blinking: true });
    expect(stackChanges(view(['a', 'b'], 'a'), values({}))).toEqual({});
  });

  it("does not write back the image shown while Python's current one is still converting", () => {
    expect(stackChanges(view(['a', 'b'], 'a'), values({ current: 2 }))).toEqual({});
  });

  it('does not write blinking for a stack of one image', () => {
    expect(stackChanges(view(['a'], 'a', true), values({}))).toEqual({});
  });
});

describe('modelValues', () => {
  it("takes the model's values and the defaults of those it lacks", () => {
    const model = { get: (name: string) => ({ current: 2, blinking: true, zoom_level: 0 })[name] } as unknown as IWidgetModel;
    expect(modelValues(model)).toEqual({ ...viewDefaults(), current: 2, zoom_level: 0, blinking: true });
  });
});
