import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random';
import type { UserSequence } from '../../../src/data/split';
import type { EventType } from '../../../src/data/types';
import { DEFAULT_POOLING, initTower, type ModelConfig, type ModelWeights } from '../../../src/model/weights';
import { hashFeatures } from '../../../src/model/features';
import { metaTrain, type MetaAlgorithm, type MetaOptions } from '../../../src/train/meta';
import { pretrain, type PretrainOptions } from '../../../src/train/pretrain';
import { shares, TrainPool } from '../../../src/train/pool';
import { initNodeTf } from '../../../src/train/tf-node';
import { modelRanker } from '../../../src/train/validate';

const n = 60;
const d = 8;
const hidden = 12;
const types: EventType[] = ['view', 'view', 'cart', 'purchase'];

function model(seed: number): ModelWeights {
  const rng = createRng(seed);
  const table = () => Float32Array.from({ length: n * d }, () => rng.normal() * 0.3);
  const tower = initTower(d, hidden, () => rng.normal());
  tower.w2.forEach((_, i) => (tower.w2[i] = rng.normal() * 0.1));
  return { n, d, hidden, itemIn: table(), itemOut: table(), itemBias: Float32Array.from({ length: n }, () => rng.normal()), tower, contentProj: new Float32Array(0) };
}

function sequences(count: number, seed: number): UserSequence[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, (_, u) => ({
    user: `u${u}`,
    events: Array.from({ length: 3 + rng.int(15) }, (_, j) => ({ index: rng.int(n), type: types[rng.int(types.length)], ts: 1_700_000_000_000 + j * 60_000 })),
  }));
}

const config: ModelConfig = { pooling: { ...DEFAULT_POOLING, halfLifePositions: 3 }, inner: { steps: 4, lr: 0.1, debias: true }, content: { buckets: 8 } };
const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('the training pool (worker threads)', () => {
  let pool: TrainPool;
  beforeAll(async () => {
    await initNodeTf();
    pool = new TrainPool(3);
  });
  afterAll(async () => {
    await pool.close();
  });

  it('splits items into contiguous shares that differ by at most one', () => {
    expect(shares(7, 3)).toEqual([[0, 3], [3, 5], [5, 7]]);
    expect(shares(2, 3)).toEqual([[0, 1], [1, 2], [2, 2]]);
  });

  it.each([
    ['after the on-device steps', config.inner],
    ['with the shared tower', null],
  ])('ranks validation users %s exactly as one thread does', async (_name, inner) => {
    const w = model(1);
    const cuts = sequences(23, 2).map((u) => ({ user: u.user, support: u.events.slice(0, 2), query: u.events.slice(2), next10Query: u.events.slice(2, 12) }));
    const one = await modelRanker(w, config, w.tower, inner)(cuts, 2);
    const three = await modelRanker(w, config, w.tower, inner, pool)(cuts, 2);
    expect(three.map((l) => Array.from(l))).toEqual(one.map((l) => Array.from(l)));
    // The lists differ between users, so a share returned in the wrong order would show.
    expect(new Set(one.map((l) => Array.from(l).join())).size).toBeGreaterThan(10);
  });

  it.each<MetaAlgorithm>(['fomaml', 'reptile'])('meta-trains (%s) to the same bits as one thread', async (algorithm) => {
    const w = model(3);
    const opts = (p: TrainPool | null): MetaOptions => ({
      algorithm,
      steps: 4,
      tasksPerStep: 10,
      metaLr: 1e-2,
      inner: config.inner,
      pooling: config.pooling,
      supportSizes: [1, 3, 5],
      queryMax: 10,
      queryViews: true,
      seed: 5,
      evalEvery: 10,
      pool: p,
    });
    const users = sequences(40, 4);
    const a = await metaTrain(w, w.tower, users, opts(null));
    const b = await metaTrain(w, w.tower, users, opts(pool));
    for (const k of ['w1', 'b1', 'w2', 'b2'] as const) expect(bytes(b.tower[k]).equals(bytes(a.tower[k])), k).toBe(true);
    expect(bytes(a.tower.w1).equals(bytes(w.tower.w1))).toBe(false);
  });

  it.each([
    ['full softmax', 1000],
    ['sampled softmax', 0],
  ])('pre-trains (%s, content rows, weight average) to the same bits as one thread', async (_name, fullSoftmaxMaxItems) => {
    const users = sequences(50, 6);
    const counts = new Int32Array(n);
    for (const u of users) for (const e of u.events) counts[e.index]++;
    const features = Array.from({ length: n }, (_, i) => hashFeatures([`c${i % 5}`, `b${i % 7}`, `w${i}`], 16));
    const opts = (p: TrainPool | null): PretrainOptions => ({
      d,
      hidden,
      epochs: 2,
      batchSize: 32,
      lr: 5e-3,
      weightDecay: 1e-4,
      negatives: 20,
      fullSoftmaxMaxItems,
      pooling: DEFAULT_POOLING,
      sampleContexts: false,
      averageWeights: true,
      seed: 9,
      content: { features, buckets: 16 },
      evalsPerEpoch: 2,
      patience: 3,
      pool: p,
    });
    const a = await pretrain(users, counts, opts(null));
    const b = await pretrain(users, counts, opts(pool));
    const arrays = (m: typeof a.model) => [m.itemIn, m.itemOut, m.itemBias, m.tower.w1, m.tower.b1, m.tower.w2, m.tower.b2];
    arrays(b.model).forEach((x, i) => expect(bytes(x).equals(bytes(arrays(a.model)[i])), String(i)).toBe(true));
    // The returned tables are plain copies, not views of the shared memory the workers wrote.
    expect(b.model.itemIn.buffer).toBeInstanceOf(ArrayBuffer);
  });

  it('reports a worker that fails, and the pool refuses work once closed', async () => {
    const other = new TrainPool(2);
    const w = model(1);
    const broken = { ...w, itemOut: new Float32Array(0) };
    // Each thread gets one of the two supports and both throw: the caller sees the error, nothing stays pending.
    const supports = [sequences(1, 1)[0].events, sequences(1, 2)[0].events];
    await expect(other.rank({ ...broken, n: -1 }, config, w.tower, config.inner, supports)).rejects.toThrow();
    await other.close();
    await expect(other.rank(w, config, w.tower, config.inner, supports)).rejects.toThrow(/closed/);
  });
});
