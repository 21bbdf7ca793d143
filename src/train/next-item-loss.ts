import * as tf from '@tensorflow/tfjs-core';
import { softmaxCrossEntropySum } from '../model/loss';
import { itemScores, towerToTensors, userVectors } from '../model/tower';
import type { TowerParams } from '../model/weights';

/** One pre-training batch with its rows gathered outside the gradient tape. */
export interface NextItemBatch {
  /** B×d pooled contexts. */
  pooled: Float32Array;
  /** m×d candidate output rows and their m biases. */
  rows: Float32Array;
  bias: Float32Array;
  /** B×m one-hot next items. */
  targets: Float32Array;
  /** Sampled softmax's logQ per candidate; null for the full catalogue. */
  correction: tf.Tensor1D | null;
  /** The teacher's B×m distribution and its loss weight, when distilling. */
  teacher: { probs: tf.Tensor2D; weight: number; temperature: number } | null;
}

/** Gradients of the loss for the gathered inputs (pooled, rows, bias) and the tower. */
export interface NextItemGrads {
  pooled: Float32Array;
  rows: Float32Array;
  bias: Float32Array;
  tower: TowerParams;
}

/**
 * The next-item loss per example: softmax cross-entropy over the candidates
 * (logQ-corrected when sampled), mixed with the cross-entropy against the teacher's
 * softened distribution (times τ², so its gradient scale does not depend on τ).
 */
export async function nextItemLossAndGrads(batch: NextItemBatch, tower: TowerParams, d: number, hidden: number): Promise<{ loss: number; grads: NextItemGrads }> {
  const B = batch.pooled.length / d;
  const m = batch.bias.length;
  const { correction, teacher } = batch;
  const P = tf.tensor2d(batch.pooled, [B, d]);
  const C = tf.tensor2d(batch.rows, [m, d]);
  const Cb = tf.tensor1d(batch.bias);
  const T = tf.tensor2d(batch.targets, [B, m]);
  const tw = towerToTensors(tower, d, hidden);
  const lossFn = (p: tf.Tensor, c: tf.Tensor, cb: tf.Tensor, w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor) => {
    let logits = itemScores(userVectors({ w1, b1, w2, b2 }, p as tf.Tensor2D), c as tf.Tensor2D, cb as tf.Tensor1D);
    if (correction) logits = tf.sub(logits, correction);
    const ce = tf.div(softmaxCrossEntropySum(logits, T), B);
    if (!teacher) return ce as tf.Scalar;
    const tau = teacher.temperature;
    const kd = tf.mul(tf.div(softmaxCrossEntropySum(tf.div(logits, tau) as tf.Tensor2D, teacher.probs), B), tau * tau);
    return tf.add(tf.mul(ce, 1 - teacher.weight), tf.mul(kd, teacher.weight)) as tf.Scalar;
  };
  const { value, grads } = tf.valueAndGrads(lossFn)([P, C, Cb, tw.w1, tw.b1, tw.w2, tw.b2]);
  const [gP, gC, gCb, w1, b1, w2, b2] = (await Promise.all(grads.map((g) => g.data()))) as Float32Array[];
  const loss = (await value.data())[0];
  tf.dispose([value, ...grads, P, C, Cb, T, tw.w1, tw.b1, tw.w2, tw.b2]);
  return { loss, grads: { pooled: gP, rows: gC, bias: gCb, tower: { w1, b1, w2, b2 } } };
}
