/**
 * How to rank "related to this product" for a shopper with history: measured on the
 * synthetic shop's test users (fold 0), with a model trained without them (folds 1-4,
 * the default pipeline, int8 item tables as the browser loads them).
 *
 * Protocol: cut each test user after k interactions; the product page being looked at
 * (the context) is the k-th interaction, the item the shopper went to next is the target.
 * Every list leaves out the support items and the context, as recommend() does. Reported
 * per variant: hit rate of the next item in the top 10, recall of the next 10 interactions
 * in the top 10, and the share of the top 10 in the context item's category.
 *
 *   npx tsx bench/related-blend.ts [--k 3,10] [--weights 0.25,0.5,0.75]   (trains one shop model: run under the heavy lock)
 *
 * The trained model is kept in .cache/related-blend-model/ and reused when it is there.
 *
 * Writes bench/reports/related-blend.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadDataset } from '../src/data/index';
import { buildColdStartSplit, cutAll, type SupportQuery } from '../src/data/split';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readModelDir, writeModelDir } from '../src/model/files-node';
import { poolHistory } from '../src/model/pooling';
import { ModelSession } from '../src/model/session';
import { blendScores, ItemSimilarity } from '../src/model/similarity';
import type { TowerParams } from '../src/model/weights';
import { buildModel } from '../src/train/build-model';
import { DEFAULT_PIPELINE } from '../src/train/pipeline';
import { initNodeTf } from '../src/train/tf-node';

const { values } = parseArgs({ options: { k: { type: 'string', default: '3,10' }, weights: { type: 'string', default: '0.25,0.5,0.75' } } });
const KS = values.k.split(',').map(Number);
const WEIGHTS = values.weights.split(',').map(Number);
const CACHE = '.cache/related-blend-model';
const TOP = 10;

await initNodeTf();
const { dataset } = await loadDataset('shop');
const split = buildColdStartSplit(dataset);
if (!existsSync(join(CACHE, 'manifest.json'))) {
  const { encoded } = await buildModel({ data: 'shop', name: 'shop-folds-1-4', modelVersion: 1, train: split.test.train, opts: DEFAULT_PIPELINE });
  await writeModelDir(CACHE, encoded);
}
const { loaded: model } = await readModelDir(CACHE);
if (model.manifest.itemIds.join() !== split.test.train.catalogue.ids.join()) throw new Error(`${CACHE} is not this split's model: delete it`);
const w = model.weights;
const { n, d, hidden } = w;
const categoryOf = model.items.map((it) => it.categories[0]);
const session = new ModelSession(w, model.config);
const simIn = new ItemSimilarity(w.itemIn, n, d);
const simOut = new ItemSimilarity(w.itemOut, n, d);

/** score(i) = u(p) · itemOut[i] + bias[i], u(p) = p + relu(p·w1 + b1)·w2 + b2: the tower in plain JS. */
function scoresFor(pooled: Float32Array, t: TowerParams): Float32Array {
  const u = Float64Array.from(pooled, (x, a) => x + t.b2[a]);
  for (let h = 0; h < hidden; h++) {
    let z = t.b1[h];
    for (let c = 0; c < d; c++) z += pooled[c] * t.w1[c * hidden + h];
    if (z > 0) for (let a = 0; a < d; a++) u[a] += z * t.w2[h * d + a];
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = w.itemBias[i];
    for (let a = 0; a < d; a++) s += u[a] * w.itemOut[i * d + a];
    out[i] = s;
  }
  return out;
}

function topAllowed(scores: Float32Array, banned: ReadonlySet<number>): number[] {
  const idx: number[] = [];
  for (let i = 0; i < n; i++) if (!banned.has(i)) idx.push(i);
  idx.sort((a, b) => scores[b] - scores[a] || a - b);
  return idx.slice(0, TOP);
}

type Variant = (c: SupportQuery, ctx: number, pooled: Float32Array, tower: TowerParams) => Float32Array;
const mix = (p: Float32Array, ctx: number, alpha: number) => Float32Array.from(p, (x, c) => (1 - alpha) * x + alpha * w.itemIn[ctx * d + c]);
const variants: Record<string, Variant> = {
  'personal (no context)': (_c, _ctx, p, t) => scoresFor(p, t),
  'similarity itemIn (no history)': (_c, ctx) => simIn.to(ctx),
  'similarity itemOut (no history)': (_c, ctx) => simOut.to(ctx),
  'shared tower on the context alone': (_c, ctx) => scoresFor(mix(new Float32Array(d), ctx, 1), w.tower),
};
for (const wt of WEIGHTS) {
  variants[`score blend ${wt} itemIn`] = (_c, ctx, p, t) => blendScores(scoresFor(p, t), simIn.to(ctx), wt);
  variants[`score blend ${wt} itemOut`] = (_c, ctx, p, t) => blendScores(scoresFor(p, t), simOut.to(ctx), wt);
  variants[`pooled-vector blend ${wt}`] = (_c, ctx, p, t) => scoresFor(mix(p, ctx, wt), t);
}

const report: Record<string, unknown> = { model: { items: n, d, hidden, trainUsers: split.test.train.users.length }, ks: {} };
for (const k of KS) {
  const cuts = cutAll(split.test.evalUsers, k);
  // The device's personal tower: the inner loop on the support, as personalise() runs it.
  const { towers } = await session.adaptAndScore(w.tower, cuts.map((c) => c.support));
  const sums = new Map<string, { hit: number; recall: number; sameCategory: number }>();
  cuts.forEach((c, u) => {
    const ctx = c.support[k - 1].index;
    const pooled = new Float32Array(d);
    poolHistory(c.support, w.itemIn, d, model.config.pooling, pooled);
    const banned = new Set(c.support.map((e) => e.index));
    const target = c.next10Query[0].index;
    const next = new Set(c.next10Query.map((e) => e.index).filter((i) => !banned.has(i)));
    for (const [name, f] of Object.entries(variants)) {
      const top = topAllowed(f(c, ctx, pooled, towers[u]), banned);
      const s = sums.get(name) ?? { hit: 0, recall: 0, sameCategory: 0 };
      s.hit += top.includes(target) ? 1 : 0;
      s.recall += next.size ? top.filter((i) => next.has(i)).length / Math.min(next.size, TOP) : 0;
      s.sameCategory += top.filter((i) => categoryOf[i] === categoryOf[ctx]).length / TOP;
      sums.set(name, s);
    }
  });
  const rows = Object.fromEntries([...sums].map(([name, s]) => [name, { hitAt10: s.hit / cuts.length, recallAt10: s.recall / cuts.length, sameCategoryShare: s.sameCategory / cuts.length }]));
  (report.ks as Record<string, unknown>)[k] = { users: cuts.length, variants: rows };
  console.log(`\nk=${k} (${cuts.length} test users; context = interaction k, target = interaction k+1)`);
  console.log('variant'.padEnd(36), 'hit@10  recall@10  same-category');
  for (const [name, r] of Object.entries(rows)) console.log(name.padEnd(36), r.hitAt10.toFixed(3).padStart(6), r.recallAt10.toFixed(3).padStart(10), r.sameCategoryShare.toFixed(3).padStart(14));
}
session.dispose();
await mkdir('bench/reports', { recursive: true });
await writeFile('bench/reports/related-blend.json', `${JSON.stringify({ date: new Date().toISOString(), ...report }, null, 2)}\n`);
