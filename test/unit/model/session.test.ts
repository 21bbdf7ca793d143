import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random';
import type { IndexedEvent } from '../../../src/model/pooling';
import { historyTargets, ModelSession } from '../../../src/model/session';
import { TfjsScorer } from '../../../src/model/scorer-tfjs';
import { DEFAULT_POOLING, type ModelConfig, type ModelWeights, type TowerParams } from '../../../src/model/weights';
import { initNodeTf } from '../../../src/train/tf-node';

const n = 40;
const d = 8;
const hidden = 12;
const inner = { steps: 5, lr: 0.05 };
const config: ModelConfig = { pooling: { ...DEFAULT_POOLING, maxItems: 6 }, inner, content: { buckets: 4 } };

function setup(seed: number): { weights: ModelWeights; start: TowerParams; histories: IndexedEvent[][] } {
  const rng = createRng(seed);
  const arr = (len: number, scale: number) => Float32Array.from({ length: len }, () => rng.normal() * scale);
  // A tower with non-zero w2 so every parameter gets a gradient from the first step.
  const start: TowerParams = { w1: arr(d * hidden, 0.4), b1: arr(hidden, 0.1), w2: arr(hidden * d, 0.3), b2: arr(d, 0.1) };
  const weights: ModelWeights = {
    n,
    d,
    hidden,
    itemIn: arr(n * d, 0.5),
    itemOut: arr(n * d, 0.5),
    itemBias: arr(n, 0.2),
    tower: start,
    contentProj: new Float32Array(4 * (2 * d + 1)),
  };
  const types = ['view', 'cart', 'purchase'] as const;
  // Different lengths, including one longer than maxItems, and a repeated item.
  const histories = [1, 3, 5, 9].map((len, u) =>
    Array.from({ length: len }, (_, j) => ({ index: rng.int(n), type: types[(u + j) % 3], ts: 1000 * j })),
  );
  histories[2][3] = { ...histories[2][1], ts: 3000 };
  return { weights, start, histories };
}

/** Each user's softmax loss over their own (pooled-window, event-weighted) items, from full-catalogue scores. */
function ownLoss(scores: Float32Array, histories: IndexedEvent[][]): number[] {
  return histories.map((h, b) => {
    const row = scores.subarray(b * n, (b + 1) * n);
    let max = -Infinity;
    for (const s of row) max = Math.max(max, s);
    let sum = 0;
    for (const s of row) sum += Math.exp(s - max);
    const lse = max + Math.log(sum);
    const targets = historyTargets(h, config.pooling);
    const total = targets.reduce((a, t) => a + t.weight, 0);
    return targets.reduce((a, t) => a + (t.weight / total) * (lse - row[t.index]), 0);
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('ModelSession.adaptAndScore (the on-device inner loop)', () => {
  let session: ModelSession;
  let fixture: ReturnType<typeof setup>;
  beforeAll(async () => {
    await initNodeTf();
    fixture = setup(5);
    session = new ModelSession(fixture.weights, config);
  });
  afterAll(() => session?.dispose());

  it('gives each user the same adapted tower and scores in a batch as when adapted alone', async () => {
    const { start, histories } = fixture;
    const batch = await session.adaptAndScore(start, histories, inner);
    expect(batch.towers).toHaveLength(histories.length);
    for (let b = 0; b < histories.length; b++) {
      const alone = await session.adaptAndScore(start, [histories[b]], inner);
      for (const key of ['w1', 'b1', 'w2', 'b2'] as const) {
        expect(maxAbsDiff(batch.towers[b][key], alone.towers[0][key]), `user ${b} ${key}`).toBeLessThanOrEqual(1e-5);
      }
      expect(maxAbsDiff(batch.scores.subarray(b * n, (b + 1) * n), alone.scores)).toBeLessThanOrEqual(1e-4);
    }
    // The users really were adapted differently (otherwise the comparison above says little).
    expect(maxAbsDiff(batch.towers[0].w2, batch.towers[3].w2)).toBeGreaterThan(1e-3);
  });

  it('gives each user the same debiased adaptation in a padded batch as alone', async () => {
    const cfg = { ...inner, debias: true };
    const { start, histories } = fixture;
    const batch = await session.adaptAndScore(start, histories, cfg);
    const plain = await session.adaptAndScore(start, histories, inner);
    for (let b = 0; b < histories.length; b++) {
      const alone = await session.adaptAndScore(start, [histories[b]], cfg);
      for (const key of ['w1', 'b1', 'w2', 'b2'] as const) {
        expect(maxAbsDiff(batch.towers[b][key], alone.towers[0][key]), `user ${b} ${key}`).toBeLessThanOrEqual(1e-5);
      }
    }
    // The option really changes what the steps do.
    expect(maxAbsDiff(batch.towers[0].b2, plain.towers[0].b2)).toBeGreaterThan(1e-4);
  });

  it('returns the start tower and the shared scores after 0 steps', async () => {
    const { start, histories } = fixture;
    const res = await session.adaptAndScore(start, histories, { steps: 0, lr: 0.05 });
    for (const t of res.towers) {
      for (const key of ['w1', 'b1', 'w2', 'b2'] as const) expect(Array.from(t[key])).toEqual(Array.from(start[key]));
    }
    const shared = await session.scoreShared(start, histories);
    expect(maxAbsDiff(res.scores, shared)).toBeLessThanOrEqual(1e-5);
  });

  it('moves the tower away from the start when steps > 0', async () => {
    const { start, histories } = fixture;
    const res = await session.adaptAndScore(start, histories, inner);
    for (const t of res.towers) {
      expect(maxAbsDiff(t.b2, start.b2)).toBeGreaterThan(1e-4);
      expect(maxAbsDiff(t.w1, start.w1)).toBeGreaterThan(1e-6);
    }
  });

  it("lowers each user's loss on their own items, and more steps lower it further", async () => {
    const { start, histories } = fixture;
    const before = ownLoss(await session.scoreShared(start, histories), histories);
    const after1 = ownLoss((await session.adaptAndScore(start, histories, { steps: 1, lr: inner.lr })).scores, histories);
    const after5 = ownLoss((await session.adaptAndScore(start, histories, inner)).scores, histories);
    for (let b = 0; b < histories.length; b++) {
      expect(after1[b], `user ${b}`).toBeLessThan(before[b]);
      expect(after5[b], `user ${b}`).toBeLessThan(after1[b]);
    }
  });

  it('scores the same on a tfjs scorer as on the plain one, and leaks no tensors', async () => {
    const { start, histories } = fixture;
    const onTfjs = new ModelSession(fixture.weights, config, (items) => new TfjsScorer(items));
    try {
      await onTfjs.adaptAndScore(start, histories, inner); // warm up any lazily created kernels
      const before = tf.memory().numTensors;
      const a = await onTfjs.adaptAndScore(start, histories, inner);
      await onTfjs.scoreShared(start, histories);
      expect(tf.memory().numTensors).toBe(before);
      expect(maxAbsDiff(a.scores, (await session.adaptAndScore(start, histories, inner)).scores)).toBeLessThanOrEqual(1e-5);
    } finally {
      onTfjs.dispose();
    }
  });
});
