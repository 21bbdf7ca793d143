import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random';
import { softmaxCrossEntropySum } from '../../../src/model/loss';
import { adaptTower, normaliseTargets, towerLossAndGrads, userVector, type ItemTable, type TargetItem } from '../../../src/model/plain-tower';
import { scoreItems } from '../../../src/model/plain-scores';
import { itemScores, userVectors } from '../../../src/model/tower';
import type { TowerParams } from '../../../src/model/weights';
import { initNodeTf } from '../../../src/train/tf-node';

const KEYS = ['w1', 'b1', 'w2', 'b2'] as const;

function setup(seed: number, n = 300, d = 16, hidden = 24) {
  const rng = createRng(seed);
  const arr = (len: number, scale: number) => Float32Array.from({ length: len }, () => rng.normal() * scale);
  const tower: TowerParams = { w1: arr(d * hidden, 0.4), b1: arr(hidden, 0.2), w2: arr(hidden * d, 0.3), b2: arr(d, 0.1) };
  const items: ItemTable = { n, d, out: arr(n * d, 0.5), bias: arr(n, 0.3) };
  const pooled = arr(d, 0.6);
  const targets: TargetItem[] = Array.from({ length: 7 }, (_, j) => ({ index: rng.int(n), weight: 1 + (j % 3) }));
  return { tower, items, pooled, targets, d, hidden };
}

/** The tfjs loss of the tower the inner loop used before it was written by hand: value and tf.grads. */
function tfjsLossAndGrads(t: TowerParams, pooled: Float32Array, targets: readonly TargetItem[], items: ItemTable, withoutBias: boolean) {
  const { n, d } = items;
  const hidden = t.b1.length;
  const dense = new Float32Array(n);
  for (const x of normaliseTargets(targets)) dense[x.index] += x.weight;
  let result: { loss: number; grads: TowerParams } | undefined;
  tf.tidy(() => {
    const out = tf.tensor2d(items.out, [n, d]);
    const bias = tf.tensor1d(items.bias);
    const p = tf.tensor2d(pooled, [1, d]);
    const tgt = tf.tensor2d(dense, [1, n]);
    const f = (w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor) => {
      const u = userVectors({ w1, b1, w2, b2 }, p);
      const logits: tf.Tensor2D = withoutBias ? tf.matMul(u, out, false, true) : itemScores(u, out, bias);
      return softmaxCrossEntropySum(logits, tgt);
    };
    const { value, grads } = tf.valueAndGrads(f)([tf.tensor2d(t.w1, [d, hidden]), tf.tensor1d(t.b1), tf.tensor2d(t.w2, [hidden, d]), tf.tensor1d(t.b2)]);
    const g = grads.map((x) => Float32Array.from(x.dataSync()));
    result = { loss: value.dataSync()[0], grads: { w1: g[0], b1: g[1], w2: g[2], b2: g[3] } };
  });
  return result!;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('the plain TypeScript tower (the inner loop shared by the Worker, evaluation and meta-training)', () => {
  beforeAll(async () => {
    await initNodeTf('cpu');
  });

  it.each([false, true])('has the gradient tf.grads gives for the tfjs softmax loss (withoutBias %s)', (withoutBias) => {
    for (const seed of [1, 2, 3]) {
      const { tower, items, pooled, targets } = setup(seed);
      const plain = towerLossAndGrads(tower, pooled, normaliseTargets(targets), items, withoutBias);
      const ref = tfjsLossAndGrads(tower, pooled, targets, items, withoutBias);
      expect(Math.abs(plain.loss - ref.loss)).toBeLessThanOrEqual(1e-4);
      for (const k of KEYS) {
        // The gradients are O(0.1–1); both agree to float32 rounding.
        expect(maxAbsDiff(plain.grads[k], ref.grads[k]), `seed ${seed} ${k}`).toBeLessThanOrEqual(1e-5);
        expect(Math.max(...Array.from(ref.grads[k], Math.abs)), `seed ${seed} ${k} is not trivially zero`).toBeGreaterThan(1e-3);
      }
    }
  });

  it('adapts to the same parameters in 5 steps as plain SGD on the tfjs gradients', () => {
    const { tower, items, pooled, targets } = setup(7);
    const cfg = { steps: 5, lr: 0.05, debias: true };
    let ref: TowerParams = { w1: tower.w1.slice(), b1: tower.b1.slice(), w2: tower.w2.slice(), b2: tower.b2.slice() };
    for (let s = 0; s < cfg.steps; s++) {
      const { grads } = tfjsLossAndGrads(ref, pooled, targets, items, true);
      ref = Object.fromEntries(KEYS.map((k) => [k, ref[k].map((x, i) => x - cfg.lr * grads[k][i])])) as unknown as TowerParams;
    }
    const plain = adaptTower(tower, pooled, targets, items, cfg);
    for (const k of KEYS) {
      expect(maxAbsDiff(plain[k], ref[k]), k).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(plain[k], tower[k]), `${k} moved`).toBeGreaterThan(1e-4);
    }
  });

  it('leaves the tower as it is when the user has no targets', () => {
    const { tower, items, pooled } = setup(8);
    const t = adaptTower(tower, pooled, [], items, { steps: 5, lr: 0.05 });
    for (const k of KEYS) expect(Array.from(t[k])).toEqual(Array.from(tower[k]));
  });

  it('scores every item as u·E_i + b_i, the same as tfjs', () => {
    const { tower, items, pooled, d } = setup(9);
    const u = userVector(tower, pooled);
    const ref = tf.tidy(() => itemScores(userVectors({ w1: tf.tensor2d(tower.w1, [d, tower.b1.length]), b1: tf.tensor1d(tower.b1), w2: tf.tensor2d(tower.w2, [tower.b1.length, d]), b2: tf.tensor1d(tower.b2) }, tf.tensor2d(pooled, [1, d])), tf.tensor2d(items.out, [items.n, d]), tf.tensor1d(items.bias)).dataSync());
    expect(maxAbsDiff(scoreItems(u, 1, items), ref)).toBeLessThanOrEqual(1e-5);
  });
});
