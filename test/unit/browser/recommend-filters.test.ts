import { describe, expect, it } from 'vitest';
import type { ItemMeta } from '../../../src/data/types';
import { allowedItems } from '../../../src/browser/worker-filters';
import { rankRecommendations } from '../../../src/browser/worker-recommend';
import type { StoredEvent } from '../../../src/browser/types';
import { checkRecommendArg } from '../../../src/browser/schemas';

const items: ItemMeta[] = [
  { id: 'a', title: 'A', categories: ['Shoes'], price: 10, image: 'img/a.svg', url: '#/a' },
  { id: 'b', title: 'B', categories: ['shoes'], price: 50 },
  { id: 'c', title: 'C', categories: ['books'], price: 20 },
  { id: 'd', title: 'D', categories: ['books'] },
  { id: 'e', title: 'E', categories: ['toys'], price: 30 },
];
const index = new Map(items.map((it, i) => [it.id, i]));
const allowedIds = (opts: Parameters<typeof allowedItems>[0], events: StoredEvent[] = [], unavailable: string[] = []) => {
  const c = allowedItems(opts, { items, index, events, unavailable: new Set(unavailable) });
  return { ids: items.filter((_, i) => c.allowed[i]).map((it) => it.id), c };
};

describe('recommendation filters', () => {
  it('allows every item when nothing is asked', () => {
    expect(allowedIds({}).ids).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('keeps only included ids, and counts the unknown ones instead of throwing', () => {
    const { ids, c } = allowedIds({ include: ['c', 'zz', 'a', 'zz'] });
    expect(ids).toEqual(['a', 'c']);
    expect(c.unknownIds).toBe(1);
  });

  it('never returns excluded ids and counts unknown ones across include, exclude and context', () => {
    const { ids, c } = allowedIds({ exclude: ['b', 'nope'], include: ['a', 'b', 'gone'], context: 'also-gone' });
    expect(ids).toEqual(['a']);
    expect(c.unknownIds).toBe(3);
    expect(c.context).toBeNull();
  });

  it('matches categories case-insensitively', () => {
    expect(allowedIds({ categories: ['SHOES'] }).ids).toEqual(['a', 'b']);
  });

  it('keeps items priced inside the range, ends inclusive, and drops items without a price', () => {
    expect(allowedIds({ price: { min: 10, max: 30 } }).ids).toEqual(['a', 'c', 'e']);
    expect(allowedIds({ price: { min: 25 } }).ids).toEqual(['b', 'e']);
    expect(allowedIds({ price: {} }).ids).toEqual(['a', 'b', 'c', 'e']);
  });

  it('drops unavailable items, seen items unless asked not to, and purchased items even then', () => {
    const events: StoredEvent[] = [
      { seq: 1, item: 'a', type: 'view', ts: 1 },
      { seq: 2, item: 'b', type: 'purchase', ts: 2 },
    ];
    expect(allowedIds({}, events, ['e']).ids).toEqual(['c', 'd']);
    expect(allowedIds({ excludeSeen: false }, events, ['e']).ids).toEqual(['a', 'c', 'd']);
    expect(allowedIds({ excludeSeen: false, excludePurchased: false }, events).ids).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('never allows the context item itself', () => {
    const { ids, c } = allowedIds({ context: 'c' });
    expect(ids).toEqual(['a', 'b', 'd', 'e']);
    expect(c.context).toBe(2);
  });

  it('ranks only allowed items and hands on the display fields items.json has', () => {
    const scores = Float32Array.from([5, 4, 3, 2, 1]);
    const { c } = allowedIds({ exclude: ['b'] });
    const ranked = rankRecommendations(scores, items, c.allowed, 2);
    expect(ranked).toEqual([
      { id: 'a', title: 'A', categories: ['Shoes'], score: 5, rank: 1, price: 10, image: 'img/a.svg', url: '#/a' },
      { id: 'c', title: 'C', categories: ['books'], score: 3, rank: 2, price: 20 },
    ]);
  });

  it.each([
    ['include as a string', { include: 'a' }],
    ['exclude with a number', { exclude: [1] }],
    ['context as a number', { context: 7 }],
    ['a negative price', { price: { min: -1 } }],
    ['a price range with min above max', { price: { min: 5, max: 1 } }],
    ['a price as text', { price: { max: '20' } }],
    ['an unknown price field', { price: { from: 1 } }],
  ])('rejects %s as invalid-argument', (_, opts) => {
    let err: unknown;
    try {
      checkRecommendArg(opts);
    } catch (e) {
      err = e;
    }
    expect(err).toHaveCode('invalid-argument');
  });
});
