import { describe, expect, it } from 'vitest';

import { cutTile, DISPLAY_TILE, mappedOutline, rectMeetsOutline, subTilesOfChunk } from './displayTiles';
import { pyramidFromShapes } from './tiles';

/** A full-size L2's pyramid: 4088 halved down to 511. */
const full = pyramidFromShapes([4088, 2044, 1022, 511].map(side => [side, side] as const));
const everywhere = { x0: -Infinity, y0: -Infinity, x1: Infinity, y1: Infinity };

describe('display tiles of a chunk', () => {
  it('cut a 512 chunk into 16 tiles and an edge chunk to its valid pixels', () => {
    expect(subTilesOfChunk(full, { level: 0, row: 0, col: 0 }, everywhere, null)).toHaveLength(16);
    // the last column of chunks holds 4088 - 7 * 512 = 504 columns: 3 full tiles and one of 120
    const edge = subTilesOfChunk(full, { level: 0, row: 0, col: 7 }, everywhere, null);
    expect(edge.map(t => t.sub.width)).toEqual(Array(4).fill([128, 128, 128, 120]).flat());
    expect(edge[3].rect).toEqual({ x0: 7 * 512 + 384 - 0.5, x1: 4088 - 0.5, y0: -0.5, y1: 127.5 });
    // the coarsest level, one 511 chunk, covers the image: its tiles in level-0 pixels
    const coarsest = subTilesOfChunk(full, { level: 3, row: 0, col: 0 }, everywhere, null);
    expect(coarsest).toHaveLength(16);
    expect(coarsest[15].rect).toEqual({ x0: 384 * 8 - 0.5, x1: 511 * 8 - 0.5, y0: 384 * 8 - 0.5, y1: 511 * 8 - 0.5 });
  });

  it('keep only the tiles the view meets', () => {
    const rect = { x0: 100, y0: 100, x1: 200, y1: 140 }; // tiles 0-1 across, 0-1 up
    const tiles = subTilesOfChunk(full, { level: 0, row: 0, col: 0 }, rect, null);
    expect(tiles.map(t => [t.sub.row, t.sub.col])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1]
    ]);
  });

  it('keep only the tiles a rotated view meets, not its bounding box', () => {
    // a diamond (a view rotated 45 degrees) inside the chunk: its edges x + y = 296 etc.
    const diamond = new Float64Array([256, 40, 472, 256, 256, 472, 40, 256]);
    const rect = { x0: 0, y0: 0, x1: 512, y1: 512 };
    const tiles = subTilesOfChunk(full, { level: 0, row: 0, col: 0 }, rect, diamond);
    const kept = new Set(tiles.map(t => `${t.sub.row},${t.sub.col}`));
    expect(kept.has('0,0')).toBe(false); // corners are outside
    expect(kept.has('3,3')).toBe(false);
    expect(kept.has('1,1')).toBe(true); // centre tiles are inside
    expect(kept.has('0,1')).toBe(true); // an edge crosses it
    expect(tiles.length).toBe(12); // the four corner tiles are left out
  });

  it('copy a tile out of its chunk row by row', () => {
    const stride = 512;
    const chunk = Float32Array.from({ length: stride * stride }, (_, k) => k);
    const sub = { row: 1, col: 2, x0: 2 * DISPLAY_TILE, y0: DISPLAY_TILE, width: 120, height: 128 };
    const tile = cutTile(chunk, stride, sub);
    expect(tile).toBeInstanceOf(Float32Array);
    expect(tile.length).toBe(120 * 128);
    expect(tile[0]).toBe(128 * stride + 256);
    expect(tile[120 * 5 + 7]).toBe((128 + 5) * stride + 256 + 7);
    const mask = cutTile(new Uint32Array(stride * stride).fill(3), stride, sub);
    expect(mask).toBeInstanceOf(Uint32Array);
  });
});

describe('outlines', () => {
  it('meet a rectangle inside, across or around them, not beside them', () => {
    const square = new Float64Array([0, 0, 10, 0, 10, 10, 0, 10]);
    expect(rectMeetsOutline({ x0: 2, y0: 2, x1: 3, y1: 3 }, square)).toBe(true); // inside
    expect(rectMeetsOutline({ x0: 8, y0: 8, x1: 20, y1: 20 }, square)).toBe(true); // across
    expect(rectMeetsOutline({ x0: -5, y0: -5, x1: 20, y1: 20 }, square)).toBe(true); // around
    expect(rectMeetsOutline({ x0: 11, y0: 0, x1: 20, y1: 10 }, square)).toBe(false);
  });

  it('map the canvas border in order, or say it does not map', () => {
    const outline = mappedOutline(100, 50, (sx, sy) => [sx + 1, sy + 2], 2)!;
    expect(Array.from(outline)).toEqual([1, 2, 51, 2, 101, 2, 101, 27, 101, 52, 51, 52, 1, 52, 1, 27]);
    expect(mappedOutline(100, 50, (sx, sy) => (sx > 90 ? [NaN, NaN] : [sx, sy]))).toBeNull();
  });
});
