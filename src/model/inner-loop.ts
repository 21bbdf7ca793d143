import * as tf from '@tensorflow/tfjs-core';
import type { InnerLoopConfig } from './manifest';
import { softmaxCrossEntropySum } from './loss';
import { itemScores, userVectors, type TowerTensors } from './tower';

/** The frozen item side of the model as tensors. */
export interface ItemTensors {
  out: tf.Tensor2D;
  bias: tf.Tensor1D;
}

/** A weighted target item for one user's loss. */
export interface TargetItem {
  index: number;
  weight: number;
}

/** B×n target matrix; each user's weights are normalised to sum to 1 (an empty row stays 0). */
export function targetMatrix(targets: readonly (readonly TargetItem[])[], n: number): tf.Tensor2D {
  const data = new Float32Array(targets.length * n);
  targets.forEach((row, b) => {
    const total = row.reduce((s, t) => s + t.weight, 0);
    if (total <= 0) return;
    for (const t of row) data[b * n + t.index] += t.weight / total;
  });
  return tf.tensor2d(data, [targets.length, n]);
}

/**
 * Each user's full-catalogue softmax loss (summed over users) and its gradient per user.
 * With `withoutBias` the item bias is left out of the logits: since the bias tracks
 * log-popularity, that is a logQ-corrected loss, which does not push the user away from
 * items merely for being popular.
 */
export function towerLossAndGrads(
  towers: TowerTensors,
  pooled: tf.Tensor2D,
  targets: tf.Tensor2D,
  items: ItemTensors,
  withoutBias = false,
): { loss: tf.Scalar; grads: TowerTensors } {
  const f = (w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor) => {
    const u = userVectors({ w1, b1, w2, b2 }, pooled);
    const logits: tf.Tensor2D = withoutBias ? tf.matMul(u, items.out, false, true) : itemScores(u, items.out, items.bias);
    return softmaxCrossEntropySum(logits, targets);
  };
  const { value, grads } = tf.valueAndGrads(f)([towers.w1, towers.b1, towers.w2, towers.b2]);
  return { loss: value as tf.Scalar, grads: { w1: grads[0], b1: grads[1], w2: grads[2], b2: grads[3] } };
}

/**
 * The on-device inner loop: `cfg.steps` SGD steps at rate `cfg.lr` on each user's own
 * tower, minimising the softmax loss of that user's interactions given their pooled
 * history. Meta-training runs exactly this function, so what it optimises for is what
 * the browser does. Disposes nothing it was given; returns new tensors.
 */
export function adaptTowers(
  start: TowerTensors,
  pooled: tf.Tensor2D,
  targets: tf.Tensor2D,
  items: ItemTensors,
  cfg: InnerLoopConfig,
): TowerTensors {
  const keys = ['w1', 'b1', 'w2', 'b2'] as const;
  let cur: TowerTensors = { w1: tf.clone(start.w1), b1: tf.clone(start.b1), w2: tf.clone(start.w2), b2: tf.clone(start.b2) };
  for (let s = 0; s < cfg.steps; s++) {
    const next = tf.tidy(() => {
      const { grads } = towerLossAndGrads(cur, pooled, targets, items, cfg.debias === true);
      return keys.map((k) => tf.sub(cur[k], tf.mul(grads[k], tf.scalar(cfg.lr))));
    });
    disposeTower(cur);
    cur = { w1: next[0], b1: next[1], w2: next[2], b2: next[3] };
  }
  return cur;
}

export function disposeTower(t: TowerTensors): void {
  tf.dispose([t.w1, t.b1, t.w2, t.b2]);
}
