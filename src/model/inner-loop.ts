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

/** Each user's full-catalogue softmax loss (summed over users) and its gradient per user. */
export function towerLossAndGrads(
  towers: TowerTensors,
  pooled: tf.Tensor2D,
  targets: tf.Tensor2D,
  items: ItemTensors,
): { loss: tf.Scalar; grads: TowerTensors } {
  const f = (w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor) =>
    softmaxCrossEntropySum(itemScores(userVectors({ w1, b1, w2, b2 }, pooled), items.out, items.bias), targets);
  const { value, grads } = tf.valueAndGrads(f)([towers.w1, towers.b1, towers.w2, towers.b2]);
  return { loss: value as tf.Scalar, grads: { w1: grads[0], b1: grads[1], w2: grads[2], b2: grads[3] } };
}

/**
 * The on-device inner loop: `cfg.steps` plain SGD steps at rate `cfg.lr` on each user's
 * own tower, minimising the softmax loss of that user's interactions given their pooled
 * history. Meta-training runs exactly this function, so what Reptile/FOMAML optimises
 * for is what the browser does. Disposes nothing it was given; returns new tensors.
 */
export function adaptTowers(
  start: TowerTensors,
  pooled: tf.Tensor2D,
  targets: tf.Tensor2D,
  items: ItemTensors,
  cfg: InnerLoopConfig,
): TowerTensors {
  let cur: TowerTensors = { w1: tf.clone(start.w1), b1: tf.clone(start.b1), w2: tf.clone(start.w2), b2: tf.clone(start.b2) };
  for (let s = 0; s < cfg.steps; s++) {
    const next = tf.tidy(() => {
      const { grads } = towerLossAndGrads(cur, pooled, targets, items);
      return {
        w1: tf.sub(cur.w1, tf.mul(grads.w1, cfg.lr)),
        b1: tf.sub(cur.b1, tf.mul(grads.b1, cfg.lr)),
        w2: tf.sub(cur.w2, tf.mul(grads.w2, cfg.lr)),
        b2: tf.sub(cur.b2, tf.mul(grads.b2, cfg.lr)),
      };
    });
    tf.dispose([cur.w1, cur.b1, cur.w2, cur.b2]);
    cur = next;
  }
  return cur;
}

export function disposeTower(t: TowerTensors): void {
  tf.dispose([t.w1, t.b1, t.w2, t.b2]);
}
