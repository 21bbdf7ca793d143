import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../data/random';
import type { UserSequence } from '../data/split';
import type { PoolingConfig } from '../model/manifest';
import { softmaxCrossEntropySum } from '../model/loss';
import { poolHistory, poolingWeights } from '../model/pooling';
import { itemScores, towerToTensors, userVectors } from '../model/tower';
import { cloneTower, initTower, type ModelWeights } from '../model/weights';
import { AdamW } from './adam';
import { yieldToEventLoop } from './yield';
import { AliasSampler, popularityWeights } from './sampler';
import type { EaseTeacher } from './ease-teacher';
import type { SparseFeatures } from '../model/features';

/** Item tables and a shared tower: a model before the content projection is fitted. */
export type TableModel = Omit<ModelWeights, 'contentProj' | 'innerLrScale'>;

export interface PretrainOptions {
  d: number;
  hidden: number;
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  /** Shared popularity-sampled negatives per step; catalogues up to `fullSoftmaxMaxItems` use the full softmax. */
  negatives: number;
  fullSoftmaxMaxItems: number;
  pooling: PoolingConfig;
  seed: number;
  /**
   * Score distillation from a teacher over the same candidates; with `ease`, the target
   * is a mixture of the neural teacher (share 1 − ease.share) and EASE's distribution.
   */
  teacher?: { model: TableModel; weight: number; temperature: number; ease?: { teacher: EaseTeacher; share: number } };
  /**
   * Side information: each item's input and output rows become a free row plus the sum of
   * its hashed content features' rows (trained jointly), so items that share a category
   * or brand start out close and rare items borrow from common ones. The returned tables
   * are the sums, so nothing downstream changes.
   */
  content?: { features: readonly SparseFeatures[]; buckets: number };
  /**
   * Exponential moving average of the weights (decay per step, 0 = off): validation,
   * early stopping and the returned model use the average, which varies less between
   * seeds and stopping points than the last iterate.
   */
  ema?: number;
  /** Validation score of the current model (higher is better); the best evaluation is kept. */
  validate?: (model: TableModel) => Promise<number>;
  evalsPerEpoch: number;
  /** Stop after this many evaluations without improvement. */
  patience: number;
  onProgress?: (p: PretrainProgress) => void;
}

export interface PretrainProgress {
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
  validation?: number;
}

export interface PretrainResult {
  model: TableModel;
  history: { epoch: number; validation: number; loss: number }[];
  best: { epoch: number; validation: number };
}

interface Example {
  user: number;
  pos: number;
}

function randomTable(rows: number, cols: number, scale: number, normal: () => number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let i = 0; i < t.length; i++) t[i] = normal() * scale;
  return t;
}

function copyModel(m: TableModel): TableModel {
  return { ...m, itemIn: m.itemIn.slice(), itemOut: m.itemOut.slice(), itemBias: m.itemBias.slice(), tower: cloneTower(m.tower) };
}

/**
 * Next-item pre-training: each interaction is predicted from the (pooled) ones before it
 * with a softmax over the catalogue — the full catalogue for small ones, else shared
 * popularity-sampled negatives with the logQ correction. Item rows are gathered outside
 * the gradient tape and their gradients scattered back by hand (wasm has no
 * UnsortedSegmentSum), so tfjs only sees a few dense matmuls.
 */
export async function pretrain(users: readonly UserSequence[], itemCounts: Int32Array, opts: PretrainOptions): Promise<PretrainResult> {
  const n = itemCounts.length;
  const { d, hidden } = opts;
  const rng = createRng(opts.seed);
  const normal = () => rng.normal();
  const model: TableModel = {
    n,
    d,
    hidden,
    itemIn: randomTable(n, d, 0.1, normal),
    itemOut: randomTable(n, d, 0.1, normal),
    itemBias: Float32Array.from(itemCounts, (c) => Math.log(c + 1) * 0.1),
    tower: initTower(d, hidden, normal),
  };
  const adam = {
    itemIn: new AdamW(model.itemIn, { lr: opts.lr, weightDecay: opts.weightDecay }),
    itemOut: new AdamW(model.itemOut, { lr: opts.lr, weightDecay: opts.weightDecay }),
    itemBias: new AdamW(model.itemBias, { lr: opts.lr }),
    w1: new AdamW(model.tower.w1, { lr: opts.lr, weightDecay: opts.weightDecay }),
    b1: new AdamW(model.tower.b1, { lr: opts.lr }),
    w2: new AdamW(model.tower.w2, { lr: opts.lr, weightDecay: opts.weightDecay }),
    b2: new AdamW(model.tower.b2, { lr: opts.lr }),
  };
  const side = opts.content && contentTables(opts.content, n, d, opts, normal);
  if (side) side.apply(model);
  const full = n <= opts.fullSoftmaxMaxItems;
  const sampler = full ? null : new AliasSampler(popularityWeights(itemCounts));

  const examples: Example[] = [];
  users.forEach((u, ui) => {
    for (let j = 1; j < u.events.length; j++) examples.push({ user: ui, pos: j });
  });
  const stepsPerEpoch = Math.max(1, Math.ceil(examples.length / opts.batchSize));
  const evalEvery = Math.max(1, Math.floor(stepsPerEpoch / opts.evalsPerEpoch));
  const gIn = new Float32Array(n * d);
  const gOut = new Float32Array(n * d);
  const gBias = new Float32Array(n);
  const history: PretrainResult['history'] = [];
  let best = { epoch: 0, validation: -Infinity };
  const avg = opts.ema ? copyModel(model) : model;
  let emaSteps = 0;
  let bestModel = copyModel(model);
  let sinceBest = 0;
  let lossAvg = 0;

  outer: for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const order = rng.shuffle(examples);
    for (let step = 0; step < stepsPerEpoch; step++) {
      const batch = order.slice(step * opts.batchSize, (step + 1) * opts.batchSize);
      if (!batch.length) break;
      const B = batch.length;
      const contexts = batch.map((ex) => users[ex.user].events.slice(Math.max(0, ex.pos - opts.pooling.maxItems), ex.pos));
      const targetIdx = batch.map((ex) => users[ex.user].events[ex.pos].index);
      const pooled = new Float32Array(B * d);
      contexts.forEach((c, b) => poolHistory(c, model.itemIn, d, opts.pooling, pooled, b * d));

      // Candidates: the whole catalogue, or batch targets ∪ sampled negatives.
      let cand: Int32Array;
      let logQ: Float32Array | null = null;
      if (full || !sampler) {
        cand = Int32Array.from({ length: n }, (_, i) => i);
      } else {
        const set = new Set<number>(targetIdx);
        for (let s = 0; s < opts.negatives; s++) set.add(sampler.draw(rng));
        cand = Int32Array.from(set);
        logQ = Float32Array.from(cand, (c) => Math.log(sampler.probs[c]));
      }
      const m = cand.length;
      const pos = new Map<number, number>();
      cand.forEach((c, i) => pos.set(c, i));
      const targets = new Float32Array(B * m);
      targetIdx.forEach((t, b) => (targets[b * m + pos.get(t)!] = 1));
      const cOut = new Float32Array(m * d);
      const cBias = new Float32Array(m);
      cand.forEach((c, i) => {
        cOut.set(model.itemOut.subarray(c * d, (c + 1) * d), i * d);
        cBias[i] = model.itemBias[c];
      });

      const P = tf.tensor2d(pooled, [B, d]);
      const C = tf.tensor2d(cOut, [m, d]);
      const Cb = tf.tensor1d(cBias);
      const T = tf.tensor2d(targets, [B, m]);
      const correction = logQ ? tf.tensor1d(logQ) : null;
      const tw = towerToTensors(model.tower, d, hidden);
      let teacherProbs: tf.Tensor2D | null = null;
      const teacher = opts.teacher;
      if (teacher) {
        const tm = teacher.model;
        const tPooled = new Float32Array(B * tm.d);
        contexts.forEach((c, b) => poolHistory(c, tm.itemIn, tm.d, opts.pooling, tPooled, b * tm.d));
        const tOut = new Float32Array(m * tm.d);
        const tBias = new Float32Array(m);
        cand.forEach((c, i) => {
          tOut.set(tm.itemOut.subarray(c * tm.d, (c + 1) * tm.d), i * tm.d);
          tBias[i] = tm.itemBias[c];
        });
        teacherProbs = tf.tidy(() => {
          const ttw = towerToTensors(tm.tower, tm.d, tm.hidden);
          let logits = itemScores(userVectors(ttw, tf.tensor2d(tPooled, [B, tm.d])), tf.tensor2d(tOut, [m, tm.d]), tf.tensor1d(tBias));
          if (correction) logits = tf.sub(logits, correction);
          return tf.softmax(tf.div(logits, teacher.temperature)) as tf.Tensor2D;
        });
        if (teacher.ease && teacher.ease.share > 0) {
          const mixed = mixEase(teacherProbs, teacher.ease, batch.map((ex) => ex.user), contexts, cand, logQ);
          teacherProbs.dispose();
          teacherProbs = mixed;
        }
      }

      const lossFn = (p: tf.Tensor, c: tf.Tensor, cb: tf.Tensor, w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor) => {
        let logits = itemScores(userVectors({ w1, b1, w2, b2 }, p as tf.Tensor2D), c as tf.Tensor2D, cb as tf.Tensor1D);
        if (correction) logits = tf.sub(logits, correction);
        const ce = tf.div(softmaxCrossEntropySum(logits, T), B);
        if (!teacher || !teacherProbs) return ce as tf.Scalar;
        const tau = teacher.temperature;
        const kd = tf.mul(tf.div(softmaxCrossEntropySum(tf.div(logits, tau) as tf.Tensor2D, teacherProbs), B), tau * tau);
        return tf.add(tf.mul(ce, 1 - teacher.weight), tf.mul(kd, teacher.weight)) as tf.Scalar;
      };
      const { value, grads } = tf.valueAndGrads(lossFn)([P, C, Cb, tw.w1, tw.b1, tw.w2, tw.b2]);
      const [gP, gC, gCb, gw1, gb1, gw2, gb2] = (await Promise.all(grads.map((g) => g.data()))) as Float32Array[];
      const loss = (await value.data())[0];
      tf.dispose([value, ...grads, P, C, Cb, T, tw.w1, tw.b1, tw.w2, tw.b2]);
      if (correction) correction.dispose();
      if (teacherProbs) teacherProbs.dispose();

      // Route gradients back to the rows they came from.
      gIn.fill(0);
      gOut.fill(0);
      gBias.fill(0);
      contexts.forEach((c, b) => {
        const { start, weights } = poolingWeights(c, opts.pooling);
        for (let j = 0; j < weights.length; j++) {
          const w = weights[j];
          if (w === 0) continue;
          const base = c[start + j].index * d;
          for (let k = 0; k < d; k++) gIn[base + k] += w * gP[b * d + k];
        }
      });
      cand.forEach((c, i) => {
        for (let k = 0; k < d; k++) gOut[c * d + k] += gC[i * d + k];
        gBias[c] += gCb[i];
      });
      // The model's arrays hold free + content rows; update each part on its own.
      if (side) {
        side.remove(model);
        side.step(gIn, gOut);
      }
      adam.itemIn.step(gIn);
      adam.itemOut.step(gOut);
      if (side) side.apply(model);
      adam.itemBias.step(gBias);
      adam.w1.step(gw1);
      adam.b1.step(gb1);
      adam.w2.step(gw2);
      adam.b2.step(gb2);
      if (avg !== model) emaUpdate(avg, model, Math.min(opts.ema!, (1 + emaSteps) / (10 + emaSteps++)));

      lossAvg = step === 0 && epoch === 0 ? loss : 0.98 * lossAvg + 0.02 * loss;
      let validation: number | undefined;
      const lastStep = step === stepsPerEpoch - 1;
      if (opts.validate && ((step + 1) % evalEvery === 0 || lastStep)) {
        validation = await opts.validate(avg);
        const at = epoch + (step + 1) / stepsPerEpoch;
        history.push({ epoch: at, validation, loss: lossAvg });
        if (validation > best.validation) {
          best = { epoch: at, validation };
          bestModel = copyModel(avg);
          sinceBest = 0;
        } else if (++sinceBest >= opts.patience) {
          opts.onProgress?.({ epoch, step: stepsPerEpoch, stepsPerEpoch, loss: lossAvg, validation });
          break outer;
        }
      }
      opts.onProgress?.({ epoch, step: step + 1, stepsPerEpoch, loss: lossAvg, validation });
      await yieldToEventLoop();
    }
  }
  if (!opts.validate) {
    bestModel = copyModel(avg);
    best = { epoch: opts.epochs, validation: NaN };
  }
  return { model: bestModel, history, best };
}

/** (1 − share)·neural + share·softmax(α·EASE + γ·logPop − logQ) over the candidates, per row. */
function mixEase(
  neural: tf.Tensor2D,
  ease: { teacher: EaseTeacher; share: number },
  users: readonly number[],
  contexts: readonly UserSequence['events'][],
  cand: Int32Array,
  logQ: Float32Array | null,
): tf.Tensor2D {
  const m = cand.length;
  const { alpha, gamma, logPop } = ease.teacher;
  const probs = new Float32Array(users.length * m);
  users.forEach((u, b) => {
    const s = ease.teacher.scores(u, contexts[b]);
    const row = probs.subarray(b * m, (b + 1) * m);
    let max = -Infinity;
    for (let i = 0; i < m; i++) {
      row[i] = alpha * s[cand[i]] + gamma * logPop[cand[i]] - (logQ ? logQ[i] : 0);
      if (row[i] > max) max = row[i];
    }
    let z = 0;
    for (let i = 0; i < m; i++) z += row[i] = Number.isFinite(row[i]) ? Math.exp(row[i] - max) : 0;
    for (let i = 0; i < m; i++) row[i] /= z;
  });
  return tf.tidy(() => tf.add(tf.mul(neural, 1 - ease.share), tf.mul(tf.tensor2d(probs, [users.length, m]), ease.share)));
}

/**
 * Content rows of the item tables: itemIn = free + Σ_b w_b·cIn[b] (and the same for
 * itemOut). Between steps the model's arrays hold the sums; around each update `remove`
 * takes the content part off (leaving the free rows for their own optimiser), `step`
 * updates the content rows from the summed gradient of their items, `apply` adds it back.
 */
function contentTables(
  content: NonNullable<PretrainOptions['content']>,
  n: number,
  d: number,
  opts: Pick<PretrainOptions, 'lr' | 'weightDecay'>,
  normal: () => number,
) {
  const { features, buckets } = content;
  const cIn = randomTable(buckets, d, 0.1, normal);
  const cOut = randomTable(buckets, d, 0.1, normal);
  const adamIn = new AdamW(cIn, { lr: opts.lr, weightDecay: opts.weightDecay });
  const adamOut = new AdamW(cOut, { lr: opts.lr, weightDecay: opts.weightDecay });
  const gcIn = new Float32Array(buckets * d);
  const gcOut = new Float32Array(buckets * d);
  const addInto = (table: Float32Array, rows: Float32Array, sign: number) => {
    for (let i = 0; i < n; i++) {
      const f = features[i];
      if (!f) continue;
      for (let j = 0; j < f.buckets.length; j++) {
        const w = sign * f.weights[j];
        const b = f.buckets[j] * d;
        for (let k = 0; k < d; k++) table[i * d + k] += w * rows[b + k];
      }
    }
  };
  return {
    apply(model: TableModel): void {
      addInto(model.itemIn, cIn, 1);
      addInto(model.itemOut, cOut, 1);
    },
    remove(model: TableModel): void {
      addInto(model.itemIn, cIn, -1);
      addInto(model.itemOut, cOut, -1);
    },
    /** Updates the content rows from the gradients of the summed rows. */
    step(gIn: Float32Array, gOut: Float32Array): void {
      gcIn.fill(0);
      gcOut.fill(0);
      for (let i = 0; i < n; i++) {
        const f = features[i];
        if (!f) continue;
        for (let j = 0; j < f.buckets.length; j++) {
          const w = f.weights[j];
          const b = f.buckets[j] * d;
          for (let k = 0; k < d; k++) {
            gcIn[b + k] += w * gIn[i * d + k];
            gcOut[b + k] += w * gOut[i * d + k];
          }
        }
      }
      adamIn.step(gcIn);
      adamOut.step(gcOut);
    },
  };
}

/** avg ← decay·avg + (1 − decay)·model, over every trained array. */
function emaUpdate(avg: TableModel, model: TableModel, decay: number): void {
  const pairs: [Float32Array, Float32Array][] = [
    [avg.itemIn, model.itemIn],
    [avg.itemOut, model.itemOut],
    [avg.itemBias, model.itemBias],
    [avg.tower.w1, model.tower.w1],
    [avg.tower.b1, model.tower.b1],
    [avg.tower.w2, model.tower.w2],
    [avg.tower.b2, model.tower.b2],
  ];
  for (const [a, m] of pairs) for (let i = 0; i < a.length; i++) a[i] = decay * a[i] + (1 - decay) * m[i];
}
