import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random';
import type { UserSequence } from '../../../src/data/split';
import { DEFAULT_INNER, DEFAULT_POOLING, type ModelConfig } from '../../../src/model/weights';
import { pretrain, type PretrainOptions, type PretrainProgress } from '../../../src/train/pretrain';
import type { TableModel } from '../../../src/model/weights';
import { initNodeTf } from '../../../src/train/tf-node';
import { coldStartNdcg } from '../../../src/train/validate';

const clusters = 6;
const perCluster = 10;
const nItems = clusters * perCluster;

/**
 * Users who each browse 8 distinct items of one cluster (items c·10 … c·10+9), in random
 * order: the next item is predictable from the previous ones only through the cluster.
 */
function clusterUsers(count: number, seed: number, prefix: string): UserSequence[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, (_, u) => {
    const c = u % clusters;
    const items = rng.shuffle(Array.from({ length: perCluster }, (_, j) => c * perCluster + j)).slice(0, 8);
    return { user: `${prefix}${u}`, events: items.map((index, j) => ({ index, type: 'view' as const, ts: j * 60_000 })) };
  });
}

function counts(users: readonly UserSequence[]): Int32Array {
  const c = new Int32Array(nItems);
  for (const u of users) for (const e of u.events) c[e.index]++;
  return c;
}

const config: ModelConfig = { pooling: DEFAULT_POOLING, inner: DEFAULT_INNER, content: { buckets: 1 } };
const ndcg = (m: TableModel, users: readonly UserSequence[]) =>
  coldStartNdcg({ ...m, contentProj: new Float32Array(0) }, config, m.tower, users, 3, null);

/** Options of a small model trained with the full softmax and no early stopping. */
const TINY: Omit<PretrainOptions, 'epochs' | 'seed'> = {
  d: 8,
  hidden: 16,
  batchSize: 16,
  lr: 1e-2,
  weightDecay: 1e-4,
  negatives: 0,
  fullSoftmaxMaxItems: 1000,
  pooling: DEFAULT_POOLING,
  sampleContexts: false,
  averageWeights: false,
  evalsPerEpoch: 1,
  patience: 100,
};

describe('pretrain on a tiny problem with clear structure', () => {
  const train = clusterUsers(60, 1, 'train');
  const heldOut = clusterUsers(30, 2, 'val');
  const itemCounts = counts(train);
  const opts: PretrainOptions = { ...TINY, epochs: 6, seed: 3 };
  const progress: PretrainProgress[] = [];
  let trained: TableModel;
  let untrained: TableModel;

  beforeAll(async () => {
    await initNodeTf();
    trained = (await pretrain(train, itemCounts, { ...opts, onProgress: (p) => progress.push(p) })).model;
    // Same seed, no epochs: exactly the random initialisation the run above started from.
    untrained = (await pretrain(train, itemCounts, { ...opts, epochs: 0 })).model;
  });

  it('reports progress for every step with a finite loss', () => {
    const stepsPerEpoch = Math.ceil((60 * 7) / 16);
    expect(progress).toHaveLength(stepsPerEpoch * opts.epochs);
    expect(progress.every((p) => Number.isFinite(p.loss) && p.stepsPerEpoch === stepsPerEpoch)).toBe(true);
  });

  it('reduces the training loss from the first to the last step', () => {
    const first = progress[0].loss;
    const last = progress[progress.length - 1].loss;
    // First step ≈ log(60) ≈ 4.1 (random init); a model that learned the clusters approaches log(7) ≈ 1.9.
    expect(first).toBeGreaterThan(3.5);
    expect(last).toBeLessThan(first - 0.8);
  });

  it('ranks held-out users’ later items far better than the random initialisation (cold-start NDCG@10)', async () => {
    const before = await ndcg(untrained, heldOut);
    const after = await ndcg(trained, heldOut);
    expect(after).toBeGreaterThan(before + 0.3);
    expect(after).toBeGreaterThan(0.6);
  });

  it('keeps the best validation snapshot and stops early when validation stops improving', async () => {
    const evals: number[] = [];
    const res = await pretrain(train, itemCounts, {
      ...opts,
      epochs: 20,
      evalsPerEpoch: 2,
      patience: 2,
      validate: async (m) => {
        const v = await ndcg(m, heldOut);
        evals.push(v);
        return v;
      },
    });
    expect(res.history.map((h) => h.validation)).toEqual(evals);
    expect(res.best.validation).toBe(Math.max(...evals));
    // The returned model is the best snapshot, not the last one.
    expect(await ndcg(res.model, heldOut)).toBeCloseTo(res.best.validation, 6);
    // Patience 2 with 40 possible evaluations: it stopped as soon as two evaluations in a row failed to improve.
    const bestAt = evals.indexOf(res.best.validation);
    expect(evals.length).toBeLessThan(40);
    expect(evals.length).toBe(bestAt + 3);
  });
});

describe('pretrain with its example options', () => {
  const train = clusterUsers(60, 1, 'train');
  const heldOut = clusterUsers(30, 2, 'val');
  const itemCounts = counts(train);
  const opts: PretrainOptions = { ...TINY, epochs: 6, seed: 3 };
  let plain: TableModel;

  beforeAll(async () => {
    await initNodeTf();
    plain = (await pretrain(train, itemCounts, opts)).model;
  });

  it.each([
    ['contexts of drawn lengths', { sampleContexts: true }],
    ['a moving average of the weights', { averageWeights: true }],
  ] as const)('learns the clusters with %s, and the option changes what it learns', async (_name, option) => {
    const res = await pretrain(train, itemCounts, { ...opts, ...option });
    expect(await ndcg(res.model, heldOut)).toBeGreaterThan(0.6);
    expect(res.model.itemOut).not.toEqual(plain.itemOut);
  });

  it('early-stops on the averaged weights and returns the averaged snapshot', async () => {
    const res = await pretrain(train, itemCounts, { ...opts, averageWeights: true, epochs: 4, validate: (m) => ndcg(m, heldOut) });
    expect(await ndcg(res.model, heldOut)).toBeCloseTo(res.best.validation, 6);
  });
});

describe('pretrain with content features', () => {
  // Item c·10+9 is seen by a single user: interactions alone say little about it.
  const train = clusterUsers(60, 4, 'train').map((u, i) => ({
    ...u,
    events: u.events.filter((e) => e.index % perCluster !== perCluster - 1 || i < clusters),
  }));
  const itemCounts = counts(train);
  // Every item carries one feature: its cluster (bucket c, weight 1).
  const features = Array.from({ length: nItems }, (_, i) => ({ buckets: [Math.floor(i / perCluster)], weights: [1] }));
  const opts: PretrainOptions = { ...TINY, epochs: 4, seed: 5 };
  /** Cosine between a rare item's output row and the mean output row of its cluster's other items. */
  const rareToOwnCluster = (m: TableModel) =>
    Array.from({ length: clusters }, (_, c) => {
      const row = (i: number) => m.itemOut.subarray(i * m.d, (i + 1) * m.d);
      const centre = new Float32Array(m.d);
      for (let j = 0; j < perCluster - 1; j++) row(c * perCluster + j).forEach((x, k) => (centre[k] += x));
      const r = row(c * perCluster + perCluster - 1);
      const dot = r.reduce((s, x, k) => s + x * centre[k], 0);
      return dot / (Math.hypot(...r) * Math.hypot(...centre));
    });

  beforeAll(() => initNodeTf());

  it('places items seen once next to the other items of their category', async () => {
    const withFeatures = rareToOwnCluster((await pretrain(train, itemCounts, { ...opts, content: { features, buckets: clusters } })).model);
    const without = rareToOwnCluster((await pretrain(train, itemCounts, opts)).model);
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    expect(mean(withFeatures)).toBeGreaterThan(0.5);
    expect(mean(withFeatures)).toBeGreaterThan(mean(without) + 0.2);
  });
});
