import { describe, expect, it } from 'vitest';

import { Stack } from './stack';

function stackOf(...ids: string[]): Stack<{ id: string }> {
  const stack = new Stack<{ id: string }>();
  ids.forEach(id => stack.add({ id }));
  return stack;
}

const ids = (items: readonly { id: string }[]) => items.map(item => item.id);

describe('Stack', () => {
  it('makes the first image current and the reference', () => {
    const stack = stackOf('a', 'b', 'c');
    expect(stack.current?.id).toBe('a');
    expect(stack.reference?.id).toBe('a');
    expect(() => stack.add({ id: 'b' })).toThrow(/already has an image with id b/);
  });

  it('wraps around on next and previous', () => {
    const stack = stackOf('a', 'b', 'c');
    stack.previous();
    expect(stack.current?.id).toBe('c');
    stack.next();
    expect(stack.current?.id).toBe('a');
    expect(stack.setCurrent(7)).toBe(true);
    expect(stack.currentIndex).toBe(1);
    expect(stack.setCurrent(1)).toBe(false);
  });

  it('fetches ahead in blink order: next, previous, then onwards', () => {
    const stack = stackOf('a', 'b', 'c', 'd', 'e');
    stack.setCurrent(1);
    expect(ids(stack.prefetchOrder())).toEqual(['c', 'a', 'd', 'e']);
    expect(stackOf('a').prefetchOrder()).toEqual([]);
    expect(ids(stackOf('a', 'b').prefetchOrder())).toEqual(['b']);
  });

  it('keeps the current image current when others are removed or moved', () => {
    const stack = stackOf('a', 'b', 'c', 'd');
    stack.setCurrent(2); // c
    stack.remove('a');
    expect(stack.current?.id).toBe('c');
    stack.move('c', 0);
    expect(ids(stack.items)).toEqual(['c', 'b', 'd']);
    expect(stack.current?.id).toBe('c');
    stack.move('d', -5);
    expect(ids(stack.items)).toEqual(['d', 'c', 'b']);
    expect(stack.current?.id).toBe('c');
  });

  it('moves on to the next image when the current one is removed, and hands over the reference', () => {
    const stack = stackOf('a', 'b', 'c');
    stack.remove('a');
    expect(stack.current?.id).toBe('b');
    expect(stack.reference?.id).toBe('b');
    stack.setCurrent(1);
    stack.remove('c');
    expect(stack.current?.id).toBe('b');
    stack.remove('b');
    expect(stack.current).toBeNull();
    expect(stack.length).toBe(0);
  });

  it('only takes a reference it holds', () => {
    const stack = stackOf('a', 'b');
    expect(stack.setReference('x')).toBe(false);
    expect(stack.setReference('b')).toBe(true);
    expect(stack.reference?.id).toBe('b');
    expect(stack.setReference('b')).toBe(false);
  });
});
