import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random';
import type { ItemMeta } from '../../../src/data/types';
import { contentEmbedding, contentTokens, hashFeatures } from '../../../src/model/features';
import { fitContentProjection } from '../../../src/train/content';
import type { TableModel } from '../../../src/model/weights';

const d = 4;
const width = 2 * d + 1;
const buckets = 256;
const categories = ['shoes', 'jackets', 'books', 'toys', 'kitchen', 'garden', 'audio', 'beauty'];
const brands = ['acme', 'globex', 'initech', 'umbrella', 'hooli'];
const adjectives = ['red', 'blue', 'classic', 'modern', 'light', 'heavy', 'small', 'large'];
const nouns = ['thing', 'piece', 'set', 'model', 'edition', 'pack'];

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

/** Items whose [itemIn | itemOut | bias] rows are their category's vector plus a little noise; brand and title carry no signal. */
function fixture(seed: number, perCategory = 12) {
  const rng = createRng(seed);
  const catVec = categories.map(() => Float64Array.from({ length: width }, () => rng.normal()));
  const items: ItemMeta[] = [];
  const rows: number[][] = [];
  categories.forEach((cat, c) => {
    for (let j = 0; j < perCategory; j++) {
      items.push({ id: `${cat}-${j}`, title: `${rng.pick(adjectives)} ${rng.pick(nouns)}`, categories: [cat], brand: rng.pick(brands) });
      rows.push(Array.from(catVec[c], (x) => x + 0.05 * rng.normal()));
    }
  });
  const n = items.length;
  const tables: TableModel = {
    n,
    d,
    hidden: 1,
    itemIn: Float32Array.from(rows.flatMap((r) => r.slice(0, d))),
    itemOut: Float32Array.from(rows.flatMap((r) => r.slice(d, 2 * d))),
    itemBias: Float32Array.from(rows.map((r) => r[2 * d])),
    tower: { w1: new Float32Array(d), b1: new Float32Array(1), w2: new Float32Array(d), b2: new Float32Array(d) },
  };
  return { tables, items, catVec, counts: new Int32Array(n).fill(5) };
}

describe('fitContentProjection', () => {
  it("gives a held-out item of a known category an embedding close to its category's (cosine > 0.9)", () => {
    const { tables, items, catVec, counts } = fixture(1);
    const proj = fitContentProjection(tables, items, counts, buckets);
    expect(proj).toHaveLength(buckets * width);
    categories.forEach((cat, c) => {
      // Title words the training items never used; a brand seen across all categories.
      const fresh: ItemMeta = { id: `new-${cat}`, title: 'Zany Gizmo 2025', categories: [cat], brand: brands[c % brands.length] };
      const e = contentEmbedding(hashFeatures(contentTokens(fresh), buckets), proj, d);
      const sims = catVec.map((v) => cosine(e, v));
      expect(sims[c], cat).toBeGreaterThan(0.9);
      // And it is closer to its own category than to any other.
      expect(sims.indexOf(Math.max(...sims)), cat).toBe(c);
    });
  });

  it('reproduces the rows of the training items themselves', () => {
    const { tables, items, counts } = fixture(2);
    const proj = fitContentProjection(tables, items, counts, buckets, { lambda: 0.1 });
    items.forEach((it, i) => {
      const e = contentEmbedding(hashFeatures(contentTokens(it), buckets), proj, d);
      const row = [...tables.itemIn.subarray(i * d, (i + 1) * d), ...tables.itemOut.subarray(i * d, (i + 1) * d), tables.itemBias[i]];
      expect(cosine(e, row)).toBeGreaterThan(0.9);
    });
  });

  it('ignores items with fewer than minCount interactions', () => {
    const { tables, items, counts } = fixture(3);
    const base = fitContentProjection(tables, items, counts, buckets);
    // Same catalogue with garbage rows on items that have too few interactions.
    const noisy: TableModel = { ...tables, itemIn: tables.itemIn.slice(), itemOut: tables.itemOut.slice(), itemBias: tables.itemBias.slice() };
    const rare = new Int32Array(counts);
    for (const i of [0, 13, 40]) {
      rare[i] = 2;
      noisy.itemIn.fill(1e3, i * d, (i + 1) * d);
      noisy.itemOut.fill(-1e3, i * d, (i + 1) * d);
      noisy.itemBias[i] = 1e3;
    }
    const withRare = fitContentProjection(noisy, items, rare, buckets, { minCount: 3 });
    // Rows of the rare items (garbage or clean) make no difference to the fit.
    const clean = fitContentProjection(tables, items, rare, buckets, { minCount: 3 });
    expect(Array.from(withRare)).toEqual(Array.from(clean));
    // While counting them does change the fit.
    expect(Array.from(fitContentProjection(noisy, items, counts, buckets))).not.toEqual(Array.from(base));
  });
});
