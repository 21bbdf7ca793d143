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

/** Copies of the shared tower, one per user, for batched adaptation. */
export function tileTower(t: TowerParams, d: number, hidden: number, users: number): TowerTensors {
  const tile = (a: Float32Array, shape: [number, number]) =>
    tf.tidy(() => tf.tile(tf.tensor3d(a, [1, ...shape]), [users, 1, 1]));
  return { w1: tile(t.w1, [d, hidden]), b1: tile(t.b1, [1, hidden]), w2: tile(t.w2, [hidden, d]), b2: tile(t.b2, [1, d]) };
}

/** Reads per-user towers back into plain arrays. */
export async function untileTower(t: TowerTensors, d: number, hidden: number): Promise<TowerParams[]> {
  const [w1, b1, w2, b2] = await Promise.all([t.w1.data(), t.b1.data(), t.w2.data(), t.b2.data()]);
  const users = t.w1.shape[0];
  const out: TowerParams[] = [];
  for (let u = 0; u < users; u++) {
    out.push({
      w1: Float32Array.from(w1.subarray(u * d * hidden, (u + 1) * d * hidden)),
      b1: Float32Array.from(b1.subarray(u * hidden, (u + 1) * hidden)),
      w2: Float32Array.from(w2.subarray(u * hidden * d, (u + 1) * hidden * d)),
      b2: Float32Array.from(b2.subarray(u * d, (u + 1) * d)),
    });
  }
  return out;
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
