import * as tf from '@tensorflow/tfjs-core';
import type { TowerParams } from './weights';

/**
 * The user tower as tensors. Shared parameters have rank 2 (w1: d×h); per-user
 * parameters, used by the inner loop to adapt many users at once, carry a leading
 * user axis (w1: B×d×h, b1: B×1×h, w2: B×h×d, b2: B×1×d).
 */
export interface TowerTensors {
  w1: tf.Tensor;
  b1: tf.Tensor;
  w2: tf.Tensor;
  b2: tf.Tensor;
}

export function towerToTensors(t: TowerParams, d: number, hidden: number): TowerTensors {
  return {
    w1: tf.tensor2d(t.w1, [d, hidden]),
    b1: tf.tensor1d(t.b1),
    w2: tf.tensor2d(t.w2, [hidden, d]),
    b2: tf.tensor1d(t.b2),
  };
}

/**
 * u = p + relu(p·w1 + b1)·w2 + b2 for pooled contexts p (B×d), with shared (rank-2) or
 * per-user (rank-3) parameters; B×d user vectors either way.
 */
export function userVectors(t: TowerTensors, pooled: tf.Tensor2D): tf.Tensor2D {
  if (t.w1.rank === 2) {
    const h = tf.relu(tf.add(tf.matMul(pooled, t.w1 as tf.Tensor2D), t.b1));
    return tf.add(tf.add(pooled, tf.matMul(h, t.w2 as tf.Tensor2D)), t.b2);
  }
  const [b, d] = pooled.shape;
  const p3 = tf.reshape(pooled, [b, 1, d]) as tf.Tensor3D;
  const h = tf.relu(tf.add(tf.matMul(p3, t.w1 as tf.Tensor3D), t.b1)) as tf.Tensor3D;
  const u = tf.add(tf.add(p3, tf.matMul(h, t.w2 as tf.Tensor3D)), t.b2);
  return tf.reshape(u, [b, d]);
}

/** score(i) = u·E_i + b_i over the given item rows: B×d · (m×d)ᵀ + m → B×m. */
export function itemScores(users: tf.Tensor2D, itemOut: tf.Tensor2D, itemBias: tf.Tensor1D): tf.Tensor2D {
  return tf.add(tf.matMul(users, itemOut, false, true), itemBias);
}
