/**
 * `npm run bench:from`: what `train --from` costs against a full training on the same
 * data, in one run, and what each gives on the cold-start test users.
 *
 *   npm run bench:from                 # the shop at its default size (~40k interactions, 1k items)
 *   npm run bench:from -- --force      # replace the committed report
 *
 * The synthetic shop (seed 1); its cold-start split's training users are the data. The
 * "published" model is trained first (not timed in the ratio) on what the shop had
 * earlier: the events before the 75% time quantile, without every tenth item (items
 * added since). Then, on the whole data, a full training (teacher, student, recency,
 * meta) and `--from` the published model (the CLI's defaults for it, continue-defaults.ts)
 * are timed; the ratio is their seconds. Both, the published model as it is (new items
 * from content features) and popularity are scored on the test users: NDCG@10 at each k,
 * both views. Writes bench/reports/train-from.json.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import type { ColdStartSplit, TrainingData } from '../src/data/split';
import type { Dataset } from '../src/data/types';
import type { ModelConfig, ModelWeights, TowerParams } from '../src/model/weights';

const KS = [1, 5, 10];
/** The published model's data: events before this quantile of time, without every NEW_EVERY-th item. */
const PUBLISHED_TIME_QUANTILE = 0.75;
const NEW_EVERY = 10;

interface Fitted {
  weights: ModelWeights;
  config: ModelConfig;
  tower: TowerParams;
}

/** The shop as the published model saw it: earlier events, fewer items. */
function earlier(shop: Dataset): Dataset {
  const ids = [...shop.items.keys()].sort();
  const later = new Set(ids.filter((_, i) => i % NEW_EVERY === 0));
  const ts = shop.interactions.map((e) => e.ts).sort((a, b) => a - b);
  const cut = ts[Math.floor(ts.length * PUBLISHED_TIME_QUANTILE)];
  return { name: 'shop-earlier', interactions: shop.interactions.filter((e) => e.ts < cut && !later.has(e.item)), items: new Map([...shop.items].filter(([id]) => !later.has(id))) };
}

/** A model's rows reordered to the split's catalogue (a continued model keeps the published order). */
function inSplitOrder(m: Fitted, ids: readonly string[], split: TrainingData): Fitted {
  const at = new Map(ids.map((id, i) => [id, i]));
  const { d } = m.weights;
  const n = split.catalogue.ids.length;
  const itemIn = new Float32Array(n * d);
  const itemOut = new Float32Array(n * d);
  const itemBias = new Float32Array(n);
  split.catalogue.ids.forEach((id, i) => {
    const j = at.get(id);
    if (j === undefined) throw new Error(`item ${id} of the split is not in the model`);
    itemIn.set(m.weights.itemIn.subarray(j * d, (j + 1) * d), i * d);
    itemOut.set(m.weights.itemOut.subarray(j * d, (j + 1) * d), i * d);
    itemBias[i] = m.weights.itemBias[j];
  });
  return { ...m, weights: { ...m.weights, n, itemIn, itemOut, itemBias } };
}

async function testScores(split: ColdStartSplit, models: Record<string, Fitted>, inner: ModelConfig['inner']) {
  const [{ evaluateColdStart }, { ModelMethod }, { Popularity }] = await Promise.all([import('../src/eval/evaluate'), import('../src/eval/model-method'), import('../src/eval/baselines/popularity')]);
  const methods = [...Object.entries(models).map(([name, m]) => new ModelMethod(name, async () => m, inner)), new Popularity()];
  const report = await evaluateColdStart(split, methods, { ks: KS, seed: 1, resamples: 200, pairs: [] });
  const out: Record<string, Record<string, { full: number; next10: number }>> = {};
  for (const r of report.results) (out[r.method] ??= {})[`k${r.k}`] = { full: r.views.full.metrics.ndcg10.mean, next10: r.views.next10.metrics.ndcg10.mean };
  return out;
}

function gitCommit(): string {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

async function main(): Promise<void> {
  const o = new Command()
    .name('bench:from')
    .option('--out <file>', 'report file', 'bench/reports/train-from.json')
    .option('--force', 'replace an existing report', false)
    .parse()
    .opts<{ out: string; force: boolean }>();
  const file = resolve(o.out);
  if (!o.force && (await readFile(file).then(() => true, () => false))) throw new Error(`${o.out} exists (--force replaces it)`);

  const [{ generateShop }, { buildColdStartSplit }, { DEFAULT_PIPELINE, trainPipeline }, { continueFrom }, { CONTINUE_DEFAULTS }, { buildModel }, { decodeModel }, { initNodeTf }] = await Promise.all([
    import('../src/data/synthetic-shop'),
    import('../src/data/split'),
    import('../src/train/pipeline'),
    import('../src/train/from-model'),
    import('../src/train/continue-defaults'),
    import('../src/train/build-model'),
    import('../src/model/format'),
    import('../src/train/tf-node'),
  ]);
  await initNodeTf();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const opts = { ...DEFAULT_PIPELINE, seed: 1 };
  const shop = generateShop({ seed: 1 });
  const split = buildColdStartSplit(shop);
  const data = split.test.train;
  const seconds = (t0: number) => (performance.now() - t0) / 1000;
  const stages = (report: Record<string, unknown>) => Object.fromEntries(['teacher', 'student', 'recency', 'meta'].map((s) => [s, (report[s] as { seconds?: number } | undefined)?.seconds ?? 0]));

  let t0 = performance.now();
  const published = await buildModel({ data: 'shop-earlier', name: 'shop', modelVersion: 1, train: buildColdStartSplit(earlier(shop)).test.train, opts });
  const base = await decodeModel(published.encoded.manifest, published.encoded.files);
  log(`published model: ${base.items.length} items, ${(published.report as { fitUsers: number }).fitUsers} fitting users, ${seconds(t0).toFixed(1)} s`);

  t0 = performance.now();
  const full = await trainPipeline(data, opts);
  const fullSeconds = seconds(t0);
  log(`full training: ${fullSeconds.toFixed(1)} s`);

  t0 = performance.now();
  const { train: reindexed, start } = continueFrom(base, data);
  const continuedOpts = { ...opts, student: { ...opts.student, epochs: CONTINUE_DEFAULTS.studentEpochs }, meta: { ...opts.meta, steps: CONTINUE_DEFAULTS.metaSteps } };
  const from = await trainPipeline(reindexed, continuedOpts, {}, undefined, { from: start });
  const fromSeconds = seconds(t0);
  log(`--from: ${fromSeconds.toFixed(1)} s (${((100 * fromSeconds) / fullSeconds).toFixed(1)}% of the full training)`);

  const publishedAsIs: Fitted = { weights: { ...start.model, contentProj: base.weights.contentProj }, config: base.config, tower: base.weights.tower };
  const test = await testScores(
    split,
    {
      full: { weights: full.weights, config: full.config, tower: full.metaTower },
      from: inSplitOrder({ weights: from.weights, config: from.config, tower: from.metaTower }, reindexed.catalogue.ids, data),
      published: inSplitOrder(publishedAsIs, reindexed.catalogue.ids, data),
    },
    opts.inner,
  );
  const row = {
    description: 'npm run bench:from: train --from the published model vs a full training on the same data (the synthetic shop, seed 1, its cold-start training users); test = NDCG@10 on the cold-start test users',
    data: { interactions: data.nInteractions, users: data.users.length, items: data.catalogue.ids.length },
    published: { items: start.facts.known, newItems: start.facts.added, interactions: (published.encoded.manifest.training as { interactions: number }).interactions },
    threads: opts.threads,
    seconds: { full: fullSeconds, from: fromSeconds, fullStages: stages(full.report), fromStages: stages(from.report) },
    fromShareOfFull: fromSeconds / fullSeconds,
    validation: { full: (full.report.meta as { validationNdcg10: number }).validationNdcg10, from: (from.report.meta as { validationNdcg10: number }).validationNdcg10, fromStart: (from.report.student as { startValidationNdcg10: number }).startValidationNdcg10 },
    test,
    commit: gitCommit(),
    createdAt: new Date().toISOString(),
  };
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(row, null, 2)}\n`);
  for (const k of KS) {
    const line = (m: string) => `${m} ${test[m][`k${k}`].full.toFixed(4)} / ${test[m][`k${k}`].next10.toFixed(4)}`;
    console.log(`k=${k} NDCG@10 full / next 10: ${['full', 'from', 'published', 'popularity'].map(line).join('; ')}`);
  }
  console.log(`--from ${fromSeconds.toFixed(1)} s vs full ${fullSeconds.toFixed(1)} s: ${(100 * row.fromShareOfFull).toFixed(1)}% (target ≤ 25%), ${opts.threads} threads`);
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
