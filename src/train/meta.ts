import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../data/random';
import type { UserSequence } from '../data/split';
import { adaptTowers, disposeTower, targetMatrix, towerLossAndGrads, type ItemTensors } from '../model/inner-loop';
import { softmaxCrossEntropySum } from '../model/loss';
import type { InnerLoopConfig, PoolingConfig } from '../model/manifest';
import { disposeInnerInputs, innerInputs } from '../model/inner-inputs';
import { itemScores, tileTower, towerToTensors, userVectors, type TowerTensors } from '../model/tower';
import { cloneTower, type TowerParams } from '../model/weights';
import { AdamW } from './adam';
import { yieldToEventLoop } from './yield';
import type { TableModel } from './pretrain';

export type MetaAlgorithm = 'fomaml' | 'reptile';

export interface MetaOptions {
  algorithm: MetaAlgorithm;
  /** Outer steps (each over `tasksPerStep` users). */
  steps: number;
  tasksPerStep: number;
  metaLr: number;
  inner: InnerLoopConfig;
  pooling: PoolingConfig;
  /** Support sizes drawn per task (capped by the user's length). */
  supportSizes: readonly number[];
  /** At most this many later interactions form a task's query (FOMAML's outer loss). */
  queryMax: number;
  /** Leave-one-out objective only: at most this many held-out rows per task (sampled). */
  maxHeldOut?: number;
  seed: number;
  /**
   * Meta-SGD: also learn a per-parameter multiplier of the inner step size (first-order:
   * ∂L_q/∂scale ≈ −lr · Σ_s g_s ∘ ∇L_q(θ')), at this Adam rate; 0 = plain SGD steps.
   */
  lrScaleLr?: number;
  /**
   * Which tower parameters the on-device steps move: the whole tower, or only the output
   * offset b2 (a per-user shift of u, d numbers) at `offsetScale` × the inner rate. The
   * choice ships as the model's step-size multipliers (0 for the frozen parameters).
   */
  adapt?: 'tower' | 'offset';
  offsetScale?: number;
  /**
   * FOMAML only: the outer step also learns the item bias (at `metaLr`). Pre-training fits
   * the bias to next items; cold-start users' later items follow another popularity curve.
   */
  learnBias?: boolean;
  validate?: (tower: TowerParams, lrScale?: TowerParams, itemBias?: Float32Array) => Promise<number>;
  evalEvery: number;
  onProgress?: (p: { step: number; steps: number; loss: number; validation?: number }) => void;
}

export interface MetaResult {
  tower: TowerParams;
  /** The item bias: learned when `learnBias`, else the tables' own. */
  itemBias: Float32Array;
  /** The learned step-size multipliers when `lrScaleLr` > 0. */
  lrScale?: TowerParams;
  history: { step: number; validation: number; loss: number }[];
  best: { step: number; validation: number };
}

/**
 * Meta-learns the tower's starting point θ_meta with the item tables frozen, users as
 * tasks. Each task: support = a prefix of k interactions (from the user's start, or from
 * a random point of their history), adapted with exactly the on-device inner loop.
 * FOMAML then steps θ on the loss of the user's *later* interactions at the adapted
 * parameters — the update that made on-device steps help in the prototype; Reptile moves
 * θ toward the adapted parameters. Either outer update is also what a device can compute
 * from its own history and upload as a federated delta.
 */
export async function metaTrain(
  tables: TableModel,
  start: TowerParams,
  users: readonly UserSequence[],
  opts: MetaOptions,
): Promise<MetaResult> {
  const { n, d, hidden } = tables;
  const rng = createRng(opts.seed);
  const tower = cloneTower(start);
  const adam = {
    w1: new AdamW(tower.w1, { lr: opts.metaLr }),
    b1: new AdamW(tower.b1, { lr: opts.metaLr }),
    w2: new AdamW(tower.w2, { lr: opts.metaLr }),
    b2: new AdamW(tower.b2, { lr: opts.metaLr }),
  };
  const learnLr = (opts.lrScaleLr ?? 0) > 0;
  const offsetOnly = opts.adapt === 'offset';
  const fixed = offsetOnly ? 0 : 1;
  const lrScale: TowerParams | undefined =
    learnLr || offsetOnly
      ? {
          w1: new Float32Array(d * hidden).fill(fixed),
          b1: new Float32Array(hidden).fill(fixed),
          w2: new Float32Array(hidden * d).fill(fixed),
          b2: new Float32Array(d).fill(offsetOnly ? (opts.offsetScale ?? 1) : 1),
        }
      : undefined;
  const lrAdam = learnLr && lrScale && {
    w1: new AdamW(lrScale.w1, { lr: opts.lrScaleLr! }),
    b1: new AdamW(lrScale.b1, { lr: opts.lrScaleLr! }),
    w2: new AdamW(lrScale.w2, { lr: opts.lrScaleLr! }),
    b2: new AdamW(lrScale.b2, { lr: opts.lrScaleLr! }),
  };
  const learnBias = opts.learnBias === true && opts.algorithm === 'fomaml';
  const itemBias = tables.itemBias.slice();
  const biasAdam = learnBias ? new AdamW(itemBias, { lr: opts.metaLr }) : null;
  const out = tf.tensor2d(tables.itemOut, [n, d]);
  const eligible = users.filter((u) => u.events.length >= 2);
  const history: MetaResult['history'] = [];
  let best = { step: 0, validation: opts.validate ? await opts.validate(tower, lrScale, itemBias) : NaN };
  let bestTower = cloneTower(tower);
  let bestScale = lrScale && cloneTower(lrScale);
  let bestBias = itemBias.slice();
  if (opts.validate) history.push({ step: 0, validation: best.validation, loss: NaN });
  let lossAvg = NaN;

  for (let step = 1; step <= opts.steps; step++) {
    const supports: UserSequence['events'][] = [];
    const queries: UserSequence['events'][] = [];
    for (let t = 0; t < opts.tasksPerStep; t++) {
      const u = rng.pick(eligible).events;
      const k = Math.min(rng.pick(opts.supportSizes), u.length - 1);
      const from = rng.next() < 0.5 ? 0 : rng.int(u.length - k);
      supports.push(u.slice(from, from + k));
      queries.push(u.slice(from + k, from + k + opts.queryMax));
    }
    const T = supports.length;
    const items = { out, bias: tf.tensor1d(itemBias) };
    const maxHeld = opts.maxHeldOut;
    const heldOut = maxHeld ? (len: number) => rng.shuffle(Array.from({ length: len }, (_, i) => i)).slice(0, maxHeld) : undefined;
    const inputs = innerInputs(supports, tables.itemIn, d, n, opts.pooling, opts.inner, heldOut);
    const { pooled, contexts, targets: supportT } = inputs;
    const queryT = targetMatrix(queries.map((q) => q.map((e) => ({ index: e.index, weight: 1 }))), n);
    const tiled = tileTower(tower, d, hidden, T);
    const scaleT = lrScale && towerToTensors(lrScale, d, hidden);
    const { tower: adapted, gradSum } = adaptTowers(tiled, contexts, supportT, items, opts.inner, { lrScale: scaleT, collectGradSum: learnLr });
    const keys = ['w1', 'b1', 'w2', 'b2'] as const;
    const metaGrad = tf.tidy(() => {
      const { loss, grads, biasGrad } = learnBias
        ? queryLossAndGrads(adapted, pooled, queryT, items)
        : { ...towerLossAndGrads(adapted, pooled, queryT, items), biasGrad: null };
      // Reptile's pseudo-gradient θ − mean(θ'_user) moves θ toward the adapted towers;
      // FOMAML's is the query loss gradient at the adapted towers.
      const g = keys.map((k) => tf.mean(opts.algorithm === 'reptile' ? tf.sub(tiled[k], adapted[k]) : grads[k], 0));
      const gScale = gradSum ? keys.map((k) => tf.mean(tf.mul(tf.mul(gradSum[k], grads[k]), -opts.inner.lr), 0)) : [];
      const gBias = biasGrad ? [tf.div(biasGrad, T)] : [];
      return { loss, g: [...g, ...gScale, ...gBias] };
    });
    const flat = (await Promise.all(metaGrad.g.map((x) => x.data()))) as Float32Array[];
    const loss = (await metaGrad.loss.data())[0] / T;
    disposeInnerInputs(inputs);
    tf.dispose([queryT, items.bias, metaGrad.loss, ...metaGrad.g]);
    disposeTower(tiled);
    disposeTower(adapted);
    if (gradSum) disposeTower(gradSum);
    if (scaleT) disposeTower(scaleT);
    keys.forEach((k, i) => adam[k].step(flat[i]));
    if (biasAdam) biasAdam.step(flat[flat.length - 1]);
    if (lrScale && lrAdam) {
      keys.forEach((k, i) => {
        if (offsetOnly && k !== 'b2') return;
        lrAdam[k].step(flat[4 + i]);
        // A negative step size would climb the user's loss: keep scales at 0 or above.
        const a = lrScale[k];
        for (let j = 0; j < a.length; j++) if (a[j] < 0) a[j] = 0;
      });
    }
    lossAvg = Number.isNaN(lossAvg) ? loss : 0.95 * lossAvg + 0.05 * loss;

    let validation: number | undefined;
    if (opts.validate && (step % opts.evalEvery === 0 || step === opts.steps)) {
      validation = await opts.validate(tower, lrScale, itemBias);
      history.push({ step, validation, loss: lossAvg });
      if (validation > best.validation) {
        best = { step, validation };
        bestTower = cloneTower(tower);
        bestScale = lrScale && cloneTower(lrScale);
        bestBias = itemBias.slice();
      }
    }
    opts.onProgress?.({ step, steps: opts.steps, loss: lossAvg, validation });
    await yieldToEventLoop();
  }
  out.dispose();
  const v = !!opts.validate;
  return { tower: v ? bestTower : tower, itemBias: v ? bestBias : itemBias, lrScale: v ? bestScale : lrScale, history, best };
}

/** The outer (query) loss with its gradient for the per-user towers and the shared item bias. */
function queryLossAndGrads(
  towers: TowerTensors,
  pooled: tf.Tensor2D,
  targets: tf.Tensor2D,
  items: ItemTensors,
): { loss: tf.Scalar; grads: TowerTensors; biasGrad: tf.Tensor } {
  const f = (w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor, bias: tf.Tensor) =>
    softmaxCrossEntropySum(itemScores(userVectors({ w1, b1, w2, b2 }, pooled), items.out, bias as tf.Tensor1D), targets);
  const { value, grads } = tf.valueAndGrads(f)([towers.w1, towers.b1, towers.w2, towers.b2, items.bias]);
  return { loss: value as tf.Scalar, grads: { w1: grads[0], b1: grads[1], w2: grads[2], b2: grads[3] }, biasGrad: grads[4] };
}
