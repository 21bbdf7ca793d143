import { describe, expect, it } from 'vitest';
import { blendScores, ItemSimilarity, standardise } from '../../../src/model/similarity';
import { fixtureModel, initParams, itemId as id, makeRuntime, ModelServer, T0 } from './helpers';

// Fixture items: id sku-0000i is in category i % 3, and embeddings cluster by category.
const category = (itemId: string) => Number(itemId.slice(4)) % 3;

describe('"related to this product" (recommend with context)', () => {
  it('falls back to the item table\u2019s similarity without history: same-category items, never the product itself', async () => {
    const h = makeRuntime(new ModelServer(await fixtureModel()));
    await h.call('init', initParams({ consent: 'pending' }));
    const rec = await h.call('recommend', { context: id(4), n: 10 });
    expect(rec.mode).toBe('related');
    expect(rec.personalised).toBe(false);
    expect(rec.unknownIds).toBe(0);
    expect(rec.items.map((r) => r.id)).not.toContain(id(4));
    expect(rec.items.filter((r) => category(r.id) === category(id(4))).length).toBeGreaterThanOrEqual(9);
    // Scores are the cosine similarities, highest first.
    expect(rec.items[0].score).toBeLessThanOrEqual(1);
    expect(rec.items.every((r, i) => i === 0 || r.score <= rec.items[i - 1].score)).toBe(true);
  });

  it('blends the shopper\u2019s history in when there is one, so the list differs from the anonymous one but stays related', async () => {
    const h = makeRuntime(new ModelServer(await fixtureModel()));
    await h.call('init', initParams());
    const anonymous = await h.call('recommend', { context: id(4), n: 10 });
    // A shopper who browsed another category (0) looks at a category-1 product.
    await h.call('track', { events: [0, 3, 6, 9, 12].map((i, k) => ({ item: id(i), type: 'view' as const, ts: T0 + k })) });
    await h.call('personalise', { steps: 3 });
    const rec = await h.call('recommend', { context: id(4), n: 10 });
    expect(rec).toMatchObject({ mode: 'related', personalised: true });
    expect(rec.items.map((r) => r.id)).not.toEqual(anonymous.items.map((r) => r.id));
    expect(rec.items.map((r) => r.id)).not.toContain(id(4));
    // The product's category enters a list the shopper's own history (category 0) fills alone.
    expect(rec.items.filter((r) => category(r.id) === 1).length).toBeGreaterThanOrEqual(3);
    const personal = await h.call('recommend', { n: 10 });
    expect(personal.mode).toBe('personal');
    expect(personal.items.filter((r) => category(r.id) === 1)).toEqual([]);
  });

  it('ignores an unknown context id, counting it, and recommends as without one', async () => {
    const h = makeRuntime(new ModelServer(await fixtureModel()));
    await h.call('init', initParams({ consent: 'pending' }));
    const plain = await h.call('recommend', { n: 5 });
    const rec = await h.call('recommend', { context: 'no-such-item', n: 5 });
    expect(rec).toMatchObject({ mode: 'popular', unknownIds: 1 });
    expect(rec.items).toEqual(plain.items);
  });

  it('explains a related item by its relation to the product, and by the shopper\u2019s own events when there are some', async () => {
    const h = makeRuntime(new ModelServer(await fixtureModel()));
    await h.call('init', initParams());
    const anon = await h.call('recommend', { context: id(4), n: 1 });
    const ex = await h.call('explain', { item: anon.items[0].id, options: { context: id(4) } });
    expect(ex.context).toMatchObject({ item: id(4), relation: 'similar' });
    expect(ex.context!.similarity).toBeCloseTo(anon.items[0].score, 5);
    expect(ex.score).toBeCloseTo(anon.items[0].score, 5);
    expect(ex.text).toBe(`Similar to ${ex.context!.title}`);
    const other = await h.call('explain', { item: id(3), options: { context: id(4) } });
    expect(other.context?.relation).toBe('together');

    await h.call('track', { events: [1, 7].map((i, k) => ({ item: id(i), type: 'view' as const, ts: T0 + k })) });
    const rec = await h.call('recommend', { context: id(4), n: 1 });
    const both = await h.call('explain', { item: rec.items[0].id, options: { context: id(4) } });
    expect(both.score).toBeCloseTo(rec.items[0].score, 4);
    expect(both.text).toMatch(/^(Similar to|Often viewed together with) .+\. Because you viewed /);
    const plain = await h.call('explain', { item: rec.items[0].id, options: {} });
    expect(plain.context).toBeNull();
    expect(plain.text).toMatch(/^Because you viewed /);
  });

  it('recommend({ reasons }) gives each item the explanation explain() gives for that list, from the same scoring pass', async () => {
    const h = makeRuntime(new ModelServer(await fixtureModel()));
    await h.call('init', initParams());
    expect((await h.call('recommend', { n: 3 })).items.every((r) => r.explanation === undefined)).toBe(true);
    await h.call('track', { events: [1, 7, 2].map((i, k) => ({ item: id(i), type: k === 2 ? ('cart' as const) : ('view' as const), ts: T0 + k })) });
    for (const [opts, n] of [[{ n: 4, reasons: true }, 3], [{ n: 4, context: id(4), reasons: 2 }, 2]] as const) {
      const rec = await h.call('recommend', opts);
      expect(rec.items).toHaveLength(4);
      for (const item of rec.items) {
        const alone = await h.call('explain', { item: item.id, options: { n, ...('context' in opts ? { context: opts.context } : {}) } });
        const { score, ...rest } = item.explanation!;
        const { score: aloneScore, ...aloneRest } = alone;
        expect(rest).toEqual(aloneRest);
        expect(score).toBe(item.score);
        expect(aloneScore).toBeCloseTo(item.score, 4);
      }
      expect(rec.items.some((r) => r.explanation!.reasons.length > 0)).toBe(true);
    }
    await expect(h.call('recommend', { reasons: 0 } as never)).rejects.toHaveCode('invalid-argument', { argument: 'recommend options', field: 'reasons' });
  });
});

describe('item similarity and score blending', () => {
  it('computes cosine similarity per row and 0 for an all-zero row', () => {
    const table = Float32Array.from([1, 0, 0, 1, 1, 1, 0, 0]);
    const sim = new ItemSimilarity(table, 4, 2);
    const to0 = sim.to(0);
    expect(Array.from(to0)).toEqual([1, 0, expect.closeTo(Math.SQRT1_2, 6), 0]);
    expect(sim.pair(2, 1)).toBeCloseTo(Math.SQRT1_2, 6);
    expect(Array.from(sim.to(3))).toEqual([0, 0, 0, 0]);
  });

  it('standardises each score list before blending, so neither scale dominates', () => {
    expect(Array.from(standardise(Float32Array.from([1, 3])))).toEqual([-1, 1]);
    expect(Array.from(standardise(Float32Array.from([2, 2])))).toEqual([0, 0]);
    const personal = Float32Array.from([100, 0, 50]);
    const related = Float32Array.from([0, 0.02, 0.01]);
    const b = blendScores(personal, related, 0.5);
    // Opposite rankings cancel out exactly at equal weight, although their raw scales differ 5000-fold.
    for (const x of b) expect(x).toBeCloseTo(0, 5);
    const leaning = blendScores(personal, related, 0.75);
    expect(leaning[1]).toBeGreaterThan(leaning[2]);
    expect(leaning[2]).toBeGreaterThan(leaning[0]);
  });
});
