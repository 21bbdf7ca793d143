import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random';
import type { UserSequence } from '../../../src/data/split';
import type { EventType } from '../../../src/data/types';
import { DEFAULT_POOLING, initTower } from '../../../src/model/weights';
import { metaTrain, type MetaAlgorithm, type MetaOptions } from '../../../src/train/meta';
import { pretrain, type PretrainOptions } from '../../../src/train/pretrain';
import type { TableModel } from '../../../src/model/weights';
import { initNodeTf } from '../../../src/train/tf-node';

const nItems = 30;
const types: EventType[] = ['view', 'view', 'cart', 'purchase'];

/** 40 users × 12 events over 30 items (a Zipf-ish popularity, so sampled negatives see varied weights). */
function sequences(seed: number): { users: UserSequence[]; itemCounts: Int32Array } {
  const rng = createRng(seed);
  const itemCounts = new Int32Array(nItems);
  const users = Array.from({ length: 40 }, (_, u) => ({
    user: `u${u}`,
    events: Array.from({ length: 12 }, (_, j) => {
      const index = Math.min(nItems - 1, Math.floor(nItems * rng.next() ** 2));
      itemCounts[index]++;
      return { index, type: types[rng.int(types.length)], ts: 1_700_000_000_000 + j * 3_600_000 };
    }),
  }));
  return { users, itemCounts };
}

function options(seed: number, sampled: boolean): PretrainOptions {
  return {
    d: 8,
    hidden: 16,
    epochs: 1,
    batchSize: 64,
    lr: 2e-3,
    weightDecay: 1e-4,
    negatives: 12,
    fullSoftmaxMaxItems: sampled ? 0 : 1000,
    pooling: DEFAULT_POOLING,
    sampleContexts: false,
    averageWeights: false,
    seed,
    evalsPerEpoch: 1,
    patience: 3,
  };
}

const tableArrays = (m: TableModel) => [m.itemIn, m.itemOut, m.itemBias, m.tower.w1, m.tower.b1, m.tower.w2, m.tower.b2];
const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sameBits = (a: Float32Array[], b: Float32Array[]) => a.length === b.length && a.every((x, i) => bytes(x).equals(bytes(b[i])));

describe('pretrain determinism', () => {
  const data = sequences(3);
  beforeAll(async () => {
    await initNodeTf();
  });

  it.each([
    ['full softmax', false],
    ['sampled softmax with popularity negatives', true],
  ])('gives bit-identical tables for the same seed (%s)', async (_, sampled) => {
    const a = await pretrain(data.users, data.itemCounts, options(7, sampled as boolean));
    const b = await pretrain(data.users, data.itemCounts, options(7, sampled as boolean));
    expect(sameBits(tableArrays(a.model), tableArrays(b.model))).toBe(true);
    // Training happened: the tables are no longer the seed-7 initialisation.
    const init = await pretrain(data.users, data.itemCounts, { ...options(7, sampled as boolean), epochs: 0 });
    expect(bytes(a.model.itemOut).equals(bytes(init.model.itemOut))).toBe(false);
  });

  it('gives different tables for a different seed', async () => {
    const a = await pretrain(data.users, data.itemCounts, options(7, true));
    const b = await pretrain(data.users, data.itemCounts, options(8, true));
    expect(bytes(a.model.itemIn).equals(bytes(b.model.itemIn))).toBe(false);
    expect(bytes(a.model.tower.w1).equals(bytes(b.model.tower.w1))).toBe(false);
  });
});

describe('metaTrain determinism', () => {
  const data = sequences(4);
  let tables: TableModel;
  beforeAll(async () => {
    await initNodeTf();
    tables = (await pretrain(data.users, data.itemCounts, options(1, false))).model;
  });

  const metaOptions = (algorithm: MetaAlgorithm, seed: number): MetaOptions => ({
    algorithm,
    steps: 4,
    tasksPerStep: 6,
    metaLr: 1e-2,
    inner: { steps: 3, lr: 0.05 },
    pooling: DEFAULT_POOLING,
    supportSizes: [1, 3, 5],
    queryMax: 6,
    queryViews: false,
    seed,
    evalEvery: 2,
  });
  const towerArrays = (t: TableModel['tower']) => [t.w1, t.b1, t.w2, t.b2];

  it.each(['fomaml', 'reptile'] as const)('gives a bit-identical tower for the same seed (%s)', async (algorithm) => {
    const start = initTower(8, 16, createRng(2).normal);
    const a = await metaTrain(tables, start, data.users, metaOptions(algorithm, 5));
    const b = await metaTrain(tables, start, data.users, metaOptions(algorithm, 5));
    expect(sameBits(towerArrays(a.tower), towerArrays(b.tower))).toBe(true);
    expect(bytes(a.tower.b2).equals(bytes(start.b2))).toBe(false);
  });

  it.each(['fomaml', 'reptile'] as const)('gives a different tower for a different seed (%s)', async (algorithm) => {
    const start = initTower(8, 16, createRng(2).normal);
    const a = await metaTrain(tables, start, data.users, metaOptions(algorithm, 5));
    const b = await metaTrain(tables, start, data.users, metaOptions(algorithm, 6));
    expect(sameBits(towerArrays(a.tower), towerArrays(b.tower))).toBe(false);
  });

  it('does not modify the start tower it was given', async () => {
    const start = initTower(8, 16, createRng(2).normal);
    const copy = towerArrays(start).map((a) => a.slice());
    await metaTrain(tables, start, data.users, metaOptions('fomaml', 5));
    expect(sameBits(towerArrays(start), copy)).toBe(true);
  });
});
