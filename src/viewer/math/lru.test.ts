import { describe, expect, it } from 'vitest';

import { LRU } from './lru';

describe('LRU', () => {
  it('evicts the least recently used entries beyond its byte budget', () => {
    const evicted: string[] = [];
    const cache = new LRU<string, number>(100, key => evicted.push(key));
    cache.set('a', 1, 40);
    cache.set('b', 2, 40);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('c', 3, 40);
    expect(evicted).toEqual(['b']);
    expect(cache.keys()).toEqual(['a', 'c']);
    expect(cache.bytes).toBe(80);
    expect(cache.peek('a')).toBe(1);
    cache.set('d', 4, 30);
    expect(evicted).toEqual(['b', 'a']);
    expect(cache.size).toBe(2);
  });

  it('reports replaced, deleted and cleared entries', () => {
    const evicted: Array<[string, number]> = [];
    const cache = new LRU<string, number>(100, (key, value) => evicted.push([key, value]));
    cache.set('a', 1, 10);
    cache.set('a', 2, 20);
    expect(cache.bytes).toBe(20);
    expect(cache.delete('a')).toBe(true);
    expect(cache.delete('a')).toBe(false);
    cache.set('b', 3, 10);
    cache.set('c', 4, 10);
    cache.clear();
    expect(evicted).toEqual([['a', 1], ['a', 2], ['b', 3], ['c', 4]]);
    expect([cache.size, cache.bytes, cache.has('b')]).toEqual([0, 0, false]);
  });

  it('keeps the newest entry even when it alone exceeds the budget', () => {
    const cache = new LRU<number, string>(10);
    cache.set(1, 'small', 5);
    cache.set(2, 'huge', 50);
    expect(cache.keys()).toEqual([2]);
    expect(cache.get(2)).toBe('huge');
  });
});
