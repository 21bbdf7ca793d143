import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../../src/data/random';
import { softmaxCrossEntropySum } from '../../../src/model/loss';
import { itemScores, towerToTensors, userVectors } from '../../../src/model/tower';
import type { TowerParams } from '../../../src/model/weights';
import { allocStepBuffers, columnsPass, dotRows, rowsPass, setTower, type StepArgs } from '../../../src/train/step-kernel';
import { initNodeTf } from '../../../src/train/tf-node';

const rng = createRng(7);
const random = (length: number, scale = 0.5) => Float32Array.from({ length }, () => scale * rng.normal());

describe('dotRows', () => {
  it('equals the naive products for row counts that do not fill its 4 × 2 blocks', () => {
    for (const [na, nb, len] of [[7, 5, 3], [4, 2, 8], [1, 1, 1], [9, 11, 6]]) {
      const a = random(na * len);
      const b = random(nb * len);
      const out = new Float32Array(na * nb);
      dotRows(a, 1, na, b, nb, len, out, nb);
      for (let i = 1; i < na; i++) {
        for (let j = 0; j < nb; j++) {
          let s = 0;
          for (let k = 0; k < len; k++) s += a[i * len + k] * b[j * len + k];
          // The same sum in the same order, rounded once: the same bits.
          expect(out[(i - 1) * nb + j]).toBe(Math.fround(s));
        }
      }
    }
  });
});

/**
 * The step's loss and gradients as tfjs computes them by automatic differentiation: the
 * formulation pre-training used before the hand-written kernel (softmax cross-entropy of
 * the logQ-corrected scores, mixed with τ²·cross-entropy against the teacher's softened
 * distribution).
 */
function reference(pooled: Float32Array, rows: Float32Array, offset: Float64Array, target: Int32Array, tower: TowerParams, d: number, hidden: number, teacherProbs: Float32Array | null, w: number, tau: number) {
  const B = target.length;
  const m = offset.length;
  const T = tf.tensor2d(Float32Array.from({ length: B * m }, (_, i) => (target[Math.floor(i / m)] === i % m ? 1 : 0)), [B, m]);
  const off = tf.tensor1d(Float32Array.from(offset));
  const tw = towerToTensors(tower, d, hidden);
  const f = (p: tf.Tensor, c: tf.Tensor, cb: tf.Tensor, w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor) => {
    const logits = itemScores(userVectors({ w1, b1, w2, b2 }, p as tf.Tensor2D), c as tf.Tensor2D, cb as tf.Tensor1D);
    const ce = tf.div(softmaxCrossEntropySum(logits, T), B);
    if (!teacherProbs) return ce as tf.Scalar;
    const kd = tf.mul(tf.div(softmaxCrossEntropySum(tf.div(logits, tau) as tf.Tensor2D, tf.tensor2d(teacherProbs, [B, m])), B), tau * tau);
    return tf.add(tf.mul(ce, 1 - w), tf.mul(kd, w)) as tf.Scalar;
  };
  const { value, grads } = tf.valueAndGrads(f)([tf.tensor2d(pooled, [B, d]), tf.tensor2d(rows, [m, d]), off, tw.w1, tw.b1, tw.w2, tw.b2]);
  return { loss: value.dataSync()[0], grads: grads.map((g) => g.dataSync() as Float32Array) };
}

describe('the pre-training step kernel', () => {
  beforeAll(() => initNodeTf());

  it.each([
    ['the data term alone', false],
    ['distillation from a teacher', true],
  ])('computes the loss and every gradient that automatic differentiation gives, with %s', (_name, distil) => {
    const [B, m, d, hidden] = [6, 13, 8, 12];
    const dT = 12;
    // Random parameters everywhere (a fresh tower's second layer starts at zero, which would leave w1 without a gradient).
    const randomTower = (dd: number, hh: number): TowerParams => ({ w1: random(dd * hh), b1: random(hh), w2: random(hh * dd), b2: random(dd) });
    const tower = randomTower(d, hidden);
    const teacherTower = randomTower(dT, 2 * dT);
    const buffers = allocStepBuffers(8, 16, d, hidden, distil ? { d: dT, hidden: 2 * dT, tower: teacherTower } : null, (n) => new Float32Array(n));
    const pooled = random(B * d);
    const rows = random(m * d);
    const offset = Float64Array.from(random(m));
    const target = Int32Array.from({ length: B }, () => rng.int(m));
    buffers.pooled.set(pooled);
    buffers.rows.set(rows);
    for (let j = 0; j < m; j++) for (let k = 0; k < d; k++) buffers.rowsT[k * m + j] = rows[j * d + k];
    buffers.offset.set(offset);
    buffers.target.set(target);
    setTower(buffers.tower, tower);
    let probs: Float32Array | null = null;
    const args: StepArgs = { B, m, distillWeight: distil ? 0.4 : 0, temperature: 2 };
    if (distil && buffers.teacher) {
      const tp = random(B * dT);
      const tr = random(m * dT);
      const toff = Float64Array.from(random(m));
      buffers.teacher.pooled.set(tp);
      buffers.teacher.rows.set(tr);
      buffers.teacher.offset.set(toff);
      // The teacher's softened distribution, computed independently with tfjs.
      probs = tf.tidy(() => {
        const tw = towerToTensors(teacherTower, dT, 2 * dT);
        const logits = itemScores(userVectors(tw, tf.tensor2d(tp, [B, dT])), tf.tensor2d(tr, [m, dT]), tf.tensor1d(Float32Array.from(toff)));
        return tf.softmax(tf.div(logits, 2));
      }).dataSync() as Float32Array;
    }
    // Two ranges per pass, as two threads would take them.
    rowsPass(buffers, args, 0, 4);
    rowsPass(buffers, args, 4, B);
    columnsPass(buffers, args, { cand: [0, 5], w1: [0, 3], w2: [0, 7] });
    columnsPass(buffers, args, { cand: [5, m], w1: [3, d], w2: [7, hidden] });
    const ref = reference(pooled, rows, offset, target, tower, d, hidden, probs, 0.4, 2);
    let loss = 0;
    for (let b = 0; b < B; b++) loss += buffers.loss[b];
    expect(loss / B).toBeCloseTo(ref.loss, 4);
    const ours = [buffers.gPooled.subarray(0, B * d), buffers.gRows.subarray(0, m * d), buffers.gBias.subarray(0, m), buffers.gTower.w1, buffers.gTower.b1, buffers.gTower.w2, buffers.gTower.b2];
    ours.forEach((g, i) => {
      const want = ref.grads[i];
      const scale = Math.max(...Array.from(want, Math.abs));
      expect(scale, String(i)).toBeGreaterThan(1e-4);
      for (let k = 0; k < want.length; k++) expect(Math.abs(g[k] - want[k]), `${i}[${k}]`).toBeLessThan(1e-4 * scale + 1e-6);
    });
  });
});
