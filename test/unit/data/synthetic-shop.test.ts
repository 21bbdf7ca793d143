import { describe, expect, it } from 'vitest';
import { DEFAULT_SHOP_OPTIONS, generateShop } from '../../../src/data/synthetic-shop';
import type { Dataset } from '../../../src/data/types';

const shop = generateShop({ seed: 11 });

function countTypes(d: Dataset): Record<string, number> {
  const c: Record<string, number> = { view: 0, cart: 0, purchase: 0, rating: 0 };
  for (const x of d.interactions) c[x.type]++;
  return c;
}

/** Category of each interaction, per user, in time order. */
function categoryHistories(d: Dataset): string[][] {
  const by = new Map<string, string[]>();
  for (const x of d.interactions) {
    const list = by.get(x.user) ?? [];
    list.push(d.items.get(x.item)?.categories[0] ?? '?');
    by.set(x.user, list);
  }
  return [...by.values()];
}

function totalVariation(a: string[], b: string[]): number {
  const diff = new Map<string, number>();
  for (const c of a) diff.set(c, (diff.get(c) ?? 0) + 1 / a.length);
  for (const c of b) diff.set(c, (diff.get(c) ?? 0) - 1 / b.length);
  let s = 0;
  for (const v of diff.values()) s += Math.abs(v);
  return s / 2;
}

/** Mean distance between a user's first- and last-quarter category mix (users with >= 20 events). */
function meanQuarterShift(d: Dataset): number {
  const shifts = categoryHistories(d)
    .filter((h) => h.length >= 20)
    .map((h) => {
      const k = Math.floor(h.length / 4);
      return totalVariation(h.slice(0, k), h.slice(-k));
    });
  return shifts.reduce((s, x) => s + x, 0) / shifts.length;
}

describe('generateShop', () => {
  it('produces an identical dataset for the same seed', () => {
    expect(generateShop({ seed: 11 })).toEqual(shop);
  });

  it('produces a different dataset for a different seed', () => {
    const other = generateShop({ seed: 12 });
    expect(other.interactions.slice(0, 50)).not.toEqual(shop.interactions.slice(0, 50));
    expect([...other.items.values()].map((i) => i.title)).not.toEqual([...shop.items.values()].map((i) => i.title));
  });

  it('has about 2,000 users, 1,000 items and 60k interactions by default, with string ids', () => {
    expect(DEFAULT_SHOP_OPTIONS.users).toBe(2000);
    const users = new Set(shop.interactions.map((x) => x.user));
    expect(users.size).toBe(2000);
    expect(shop.items.size).toBe(1000);
    expect(shop.interactions.length).toBeGreaterThan(50_000);
    expect(shop.interactions.length).toBeLessThan(70_000);
    expect([...users].every((u) => /^u\d+$/.test(u))).toBe(true);
    expect([...shop.items.keys()].every((id) => /^p\d{4}$/.test(id))).toBe(true);
    expect(shop.items.get('p0042')).toMatchObject({ id: 'p0042' });
  });

  it('describes every item with one category, a brand, a positive price and a worded title', () => {
    for (const item of shop.items.values()) {
      expect(item.categories).toHaveLength(1);
      expect(item.brand).toBeTruthy();
      expect(item.price).toBeGreaterThan(0);
      expect(item.title.startsWith(item.brand as string)).toBe(true);
      expect(item.title.split(' ').length).toBeGreaterThanOrEqual(4);
    }
    expect(new Set([...shop.items.values()].map((i) => i.categories[0])).size).toBe(12);
  });

  it('gives each user strictly increasing timestamps and only known items', () => {
    const last = new Map<string, number>();
    const bad: string[] = [];
    for (const x of shop.interactions) {
      if (!shop.items.has(x.item) || x.ts <= (last.get(x.user) ?? -Infinity)) bad.push(`${x.user}@${x.ts}`);
      last.set(x.user, x.ts);
    }
    expect(bad).toEqual([]);
  });

  it('follows the funnel: about 30% of views carted and about 30% of carts purchased', () => {
    const c = countTypes(shop);
    expect(c.rating).toBe(0);
    expect(c.cart / c.view).toBeGreaterThan(0.25);
    expect(c.cart / c.view).toBeLessThan(0.35);
    expect(c.purchase / c.cart).toBeGreaterThan(0.25);
    expect(c.purchase / c.cart).toBeLessThan(0.35);
  });

  it('buys only what was carted earlier by the same user', () => {
    const carted = new Set<string>();
    let orphans = 0;
    for (const x of shop.interactions) {
      if (x.type === 'cart') carted.add(`${x.user}|${x.item}`);
      if (x.type === 'purchase' && !carted.has(`${x.user}|${x.item}`)) orphans++;
    }
    expect(orphans).toBe(0);
  });

  it('skews popularity: the top 10% of items draw a large share of events, but not all of it', () => {
    const counts = new Map<string, number>();
    for (const x of shop.interactions) counts.set(x.item, (counts.get(x.item) ?? 0) + 1);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    const top = sorted.slice(0, 100).reduce((s, x) => s + x, 0) / shop.interactions.length;
    expect(top).toBeGreaterThan(0.3);
    expect(top).toBeLessThan(0.8);
  });

  it('makes tastes drift: early and late category mixes differ more than in a no-drift control', () => {
    const drifting = meanQuarterShift(shop);
    const control = meanQuarterShift(generateShop({ seed: 11, drift: 0 }));
    expect(drifting).toBeGreaterThan(control + 0.15);
  });

  it('keeps a personal signal: without drift a user returns to its own favourite category more than the crowd does', () => {
    const d = generateShop({ seed: 5, drift: 0 });
    const global = new Map<string, number>();
    for (const h of categoryHistories(d)) for (const c of h) global.set(c, (global.get(c) ?? 0) + 1);
    const total = d.interactions.length;
    let own = 0;
    let crowd = 0;
    let n = 0;
    for (const h of categoryHistories(d)) {
      if (h.length < 10) continue;
      const half = Math.floor(h.length / 2);
      const freq = new Map<string, number>();
      for (const c of h.slice(0, half)) freq.set(c, (freq.get(c) ?? 0) + 1);
      const fav = [...freq.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
      own += h.slice(half).filter((c) => c === fav).length / (h.length - half);
      crowd += (global.get(fav) ?? 0) / total;
      n++;
    }
    expect(own / n).toBeGreaterThan(1.5 * (crowd / n));
  });

  it('generates the default shop in well under two seconds', () => {
    const t0 = performance.now();
    generateShop();
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('rejects impossible options with invalid-argument', () => {
    expect(() => generateShop({ users: 0 })).toHaveCode('invalid-argument');
    expect(() => generateShop({ cartRate: 1.5 })).toHaveCode('invalid-argument');
    expect(() => generateShop({ items: 3, categories: 12 })).toHaveCode('invalid-argument');
  });
});
