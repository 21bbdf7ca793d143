import { describe, expect, it } from 'vitest';
import { dedupeInteractions } from '../../../src/data/dedupe';
import type { Interaction } from '../../../src/data/types';

describe('dedupeInteractions', () => {
  it('keeps one record per (user, item) with the earliest timestamp', () => {
    const out = dedupeInteractions([
      { user: 'a', item: 'p1', type: 'view', ts: 30 },
      { user: 'a', item: 'p1', type: 'view', ts: 10 },
      { user: 'a', item: 'p1', type: 'view', ts: 20 },
      { user: 'b', item: 'p1', type: 'view', ts: 5 },
    ]);
    expect(out).toEqual([
      { user: 'a', item: 'p1', type: 'view', ts: 10 },
      { user: 'b', item: 'p1', type: 'view', ts: 5 },
    ]);
  });

  it('gives the kept record the strongest event type seen for the pair', () => {
    const out = dedupeInteractions([
      { user: 'a', item: 'p1', type: 'view', ts: 1 },
      { user: 'a', item: 'p1', type: 'purchase', ts: 3 },
      { user: 'a', item: 'p1', type: 'cart', ts: 2 },
      { user: 'a', item: 'p2', type: 'cart', ts: 4 },
      { user: 'a', item: 'p2', type: 'view', ts: 5 },
    ]);
    expect(out).toEqual([
      { user: 'a', item: 'p1', type: 'purchase', ts: 1 },
      { user: 'a', item: 'p2', type: 'cart', ts: 4 },
    ]);
  });

  it('keeps a rating as a rating with its earliest value', () => {
    const out = dedupeInteractions([
      { user: 'a', item: 'm1', type: 'rating', ts: 9, rating: 2 },
      { user: 'a', item: 'm1', type: 'rating', ts: 7, rating: 5 },
    ]);
    expect(out).toEqual([{ user: 'a', item: 'm1', type: 'rating', ts: 7, rating: 5 }]);
  });

  it('sorts by user, then timestamp, then item, and leaves the input untouched', () => {
    const input: Interaction[] = [
      { user: 'b', item: 'p2', type: 'view', ts: 1 },
      { user: 'a', item: 'p9', type: 'view', ts: 2 },
      { user: 'a', item: 'p3', type: 'view', ts: 2 },
      { user: 'a', item: 'p1', type: 'view', ts: 3 },
      { user: 'a', item: 'p1', type: 'cart', ts: 4 },
    ];
    const snapshot = structuredClone(input);
    const out = dedupeInteractions(input);
    expect(out.map((x) => `${x.user}:${x.item}`)).toEqual(['a:p3', 'a:p9', 'a:p1', 'b:p2']);
    expect(out[2].type).toBe('cart');
    expect(input).toEqual(snapshot);
  });
});
