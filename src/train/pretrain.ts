import * as tf from '@tensorflow/tfjs-core';
import { LocalrecError } from '../errors';
import { createRng, type Rng } from '../data/random';
import type { UserSequence } from '../data/split';
import type { PoolingConfig } from '../model/manifest';
import { poolBatch } from '../model/pooling';
import { cloneTables, cloneTower, initTower, type TableModel } from '../model/weights';
import type { SparseFeatures } from '../model/features';
import { AdamW } from './adam';
import { sharedArray, type TrainPool } from './pool';
import { tableStepRange, type TableState, type TableStepArgs } from './table-step';
import { candidateRows, drawCandidates } from './candidates';
import { contentRows } from './content-rows';
import { teacherTargets, type DistillationTeacher } from './distillation';
import { BestSnapshot } from './early-stopping';
import { nextItemLossAndGrads } from './next-item-loss';
import { randomTable } from './random-table';
import { scatterRowGradients, type RowGradients } from './row-gradients';
import { AliasSampler, popularityWeights } from './sampler';
import { WeightAverage } from './weight-average';
import { yieldToEventLoop } from './yield';

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
  /**
   * Each example's context is its last L interactions with L drawn uniformly from 1 to
   * its full length (≤ pooling.maxItems), redrawn every epoch: cold-start users have
   * short histories, and most full-length contexts belong to heavy users.
   */
  sampleContexts: boolean;
  /** Validate and return a moving average of the weights (src/train/weight-average.ts) instead of the last step's. */
  averageWeights: boolean;
  /** Shares each step's passes over the item tables' rows across threads (the same bits). */
  pool?: TrainPool | null;
  seed: number;
  /** Score distillation from a teacher over the same candidates. */
  teacher?: DistillationTeacher;
  /**
   * Start from these tables and tower instead of random ones (train --from continues a
   * published model); n, d and hidden must match. Copied, never changed.
   */
  init?: TableModel;
  /**
   * Side information: each item's input and output rows become a free row plus the sum of
   * its hashed content features' rows (trained jointly), so items that share a category
   * or brand start out close and rare items borrow from common ones. The returned tables
   * are the sums, so nothing downstream changes.
   */
  content?: { features: readonly SparseFeatures[]; buckets: number };
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

/** Every (user, position ≥ 1) pair: each interaction predicted from the ones before it. */
function nextItemExamples(users: readonly UserSequence[]): Example[] {
  const examples: Example[] = [];
  users.forEach((u, ui) => {
    for (let j = 1; j < u.events.length; j++) examples.push({ user: ui, pos: j });
  });
  return examples;
}

/**
 * Next-item pre-training: each interaction is predicted from the (pooled) ones before it
 * with a softmax over the catalogue — the full catalogue for small ones, else shared
 * popularity-sampled negatives with the logQ correction. Item rows are gathered outside
 * the gradient tape and their gradients scattered back by hand (wasm has no
 * UnsortedSegmentSum), so tfjs only sees a few dense matmuls.
 */
export async function pretrain(users: readonly UserSequence[], itemCounts: Int32Array, opts: PretrainOptions): Promise<PretrainResult> {
  const rng = createRng(opts.seed);
  const examples = nextItemExamples(users);
  const stepsPerEpoch = Math.max(1, Math.ceil(examples.length / opts.batchSize));
  const evalEvery = Math.max(1, Math.floor(stepsPerEpoch / opts.evalsPerEpoch));
  // The average mostly covers the steps since the previous evaluation.
  const trainer = nextItemTrainer(users, itemCounts, opts, rng, opts.averageWeights ? evalEvery : null);
  try {
    return await trainLoop(trainer, examples, stepsPerEpoch, evalEvery, opts, rng);
  } finally {
    trainer.close();
  }
}

async function trainLoop(trainer: NextItemTrainer, examples: Example[], stepsPerEpoch: number, evalEvery: number, opts: PretrainOptions, rng: Rng): Promise<PretrainResult> {
  const history: PretrainResult['history'] = [];
  const current = () => trainer.average?.model ?? trainer.model;
  const best = new BestSnapshot(cloneTables, { model: trainer.model, at: 0, validation: -Infinity }, opts.patience);
  let lossAvg = 0;

  outer: for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const order = rng.shuffle(examples);
    for (let step = 0; step < stepsPerEpoch; step++) {
      const batch = order.slice(step * opts.batchSize, (step + 1) * opts.batchSize);
      if (!batch.length) break;
      const loss = await trainer.step(batch);
      lossAvg = step === 0 && epoch === 0 ? loss : 0.98 * lossAvg + 0.02 * loss;
      let validation: number | undefined;
      if (opts.validate && ((step + 1) % evalEvery === 0 || step === stepsPerEpoch - 1)) {
        validation = await opts.validate(current());
        const at = epoch + (step + 1) / stepsPerEpoch;
        history.push({ epoch: at, validation, loss: lossAvg });
        if (best.record(at, validation, current())) {
          opts.onProgress?.({ epoch, step: stepsPerEpoch, stepsPerEpoch, loss: lossAvg, validation });
          break outer;
        }
      }
      opts.onProgress?.({ epoch, step: step + 1, stepsPerEpoch, loss: lossAvg, validation });
      await yieldToEventLoop();
    }
  }
  if (!opts.validate) return { model: cloneTables(current()), history, best: { epoch: opts.epochs, validation: NaN } };
  return { model: best.model, history, best: { epoch: best.best.at, validation: best.best.validation } };
}

/** Random item tables (in the arrays alloc gives: shared memory with a pool), a log-popularity bias and a fresh tower. */
function freshModel(itemCounts: Int32Array, d: number, hidden: number, normal: () => number, alloc: (length: number) => Float32Array): TableModel {
  const n = itemCounts.length;
  const table = (values: Float32Array) => {
    const t = alloc(values.length);
    t.set(values);
    return t;
  };
  return {
    n,
    d,
    hidden,
    itemIn: table(randomTable(n, d, 0.1, normal)),
    itemOut: table(randomTable(n, d, 0.1, normal)),
    itemBias: Float32Array.from(itemCounts, (c) => Math.log(c + 1) * 0.1),
    tower: initTower(d, hidden, normal),
  };
}

/** A copy of `init` (its item tables in the arrays alloc gives) to train on. */
function startModel(init: TableModel, n: number, d: number, hidden: number, alloc: (length: number) => Float32Array): TableModel {
  if (init.n !== n || init.d !== d || init.hidden !== hidden) {
    throw new LocalrecError('invalid-argument', `start model is ${init.n}×${init.d} (hidden ${init.hidden}), expected ${n}×${d} (hidden ${hidden})`, { n: init.n, d: init.d, hidden: init.hidden });
  }
  const table = (values: Float32Array) => {
    const t = alloc(values.length);
    t.set(values);
    return t;
  };
  return { n, d, hidden, itemIn: table(init.itemIn), itemOut: table(init.itemOut), itemBias: init.itemBias.slice(), tower: cloneTower(init.tower) };
}

/** What a table step (src/train/table-step.ts) reads and writes: the item tables with their gradients, moments and averages. */
function tableState(model: TableModel, grads: RowGradients, adamIn: AdamW, adamOut: AdamW, average: WeightAverage | null, features: TableState['features']): TableState {
  return {
    n: model.n,
    d: model.d,
    itemIn: model.itemIn,
    itemOut: model.itemOut,
    gIn: grads.itemIn,
    gOut: grads.itemOut,
    mIn: adamIn.m,
    vIn: adamIn.v,
    mOut: adamOut.m,
    vOut: adamOut.v,
    avgIn: average?.model.itemIn ?? null,
    avgOut: average?.model.itemOut ?? null,
    features,
  };
}

interface NextItemTrainer {
  model: TableModel;
  /** The moving average of the weights (see WeightAverage), when kept. */
  average: WeightAverage | null;
  step(batch: readonly Example[]): Promise<number>;
  close(): void;
}

/**
 * A freshly initialised model (random tables, log-popularity bias, content rows when
 * given) and the step that trains it on one batch of examples. With a pool the item
 * tables live in shared memory and each step's passes over their rows (content part,
 * AdamW, weight average: src/train/table-step.ts) run by row ranges on its threads.
 */
function nextItemTrainer(users: readonly UserSequence[], itemCounts: Int32Array, opts: PretrainOptions, rng: Rng, averageHorizon: number | null): NextItemTrainer {
  const n = itemCounts.length;
  const { d, hidden } = opts;
  const normal = () => rng.normal();
  const pool = opts.pool && opts.pool.threads > 1 ? opts.pool : null;
  const alloc = (length: number) => (pool ? sharedArray(length) : new Float32Array(length));
  const model = opts.init ? startModel(opts.init, n, d, hidden, alloc) : freshModel(itemCounts, d, hidden, normal, alloc);
  const decayed = { lr: opts.lr, weightDecay: opts.weightDecay };
  const adam = {
    itemIn: new AdamW(model.itemIn, decayed, alloc),
    itemOut: new AdamW(model.itemOut, decayed, alloc),
    itemBias: new AdamW(model.itemBias, { lr: opts.lr }),
    w1: new AdamW(model.tower.w1, decayed),
    b1: new AdamW(model.tower.b1, { lr: opts.lr }),
    w2: new AdamW(model.tower.w2, decayed),
    b2: new AdamW(model.tower.b2, { lr: opts.lr }),
  };
  const side = opts.content && contentRows(opts.content, n, d, opts, normal);
  if (side) side.apply(model);
  const average = averageHorizon === null ? null : new WeightAverage(model, averageHorizon, alloc);
  const sampler = n <= opts.fullSoftmaxMaxItems ? null : new AliasSampler(popularityWeights(itemCounts));
  const rowGrads: RowGradients = { itemIn: alloc(n * d), itemOut: alloc(n * d), itemBias: new Float32Array(n) };
  const state = tableState(model, rowGrads, adam.itemIn, adam.itemOut, average, side ? side.features : null);
  const session = pool?.openTables(state) ?? null;

  const contextLength = (pos: number): number => {
    const full = Math.min(pos, opts.pooling.maxItems);
    return opts.sampleContexts ? 1 + rng.int(full) : full;
  };

  const step = async (batch: readonly Example[]): Promise<number> => {
    const contexts = batch.map((ex) => users[ex.user].events.slice(ex.pos - contextLength(ex.pos), ex.pos));
    const pooled = poolBatch(contexts, model.itemIn, d, opts.pooling);
    const cand = drawCandidates(batch.map((ex) => users[ex.user].events[ex.pos].index), n, sampler, opts.negatives, rng);
    const { rows, bias } = candidateRows(model, cand.items);
    const correction = cand.logQ ? tf.tensor1d(cand.logQ) : null;
    const t = opts.teacher;
    const teacher = t ? { probs: teacherTargets(t, contexts, cand.items, correction, opts.pooling), weight: t.weight, temperature: t.temperature } : null;
    const { loss, grads } = await nextItemLossAndGrads({ pooled, rows, bias, targets: cand.targets, correction, teacher }, model.tower, d, hidden);
    tf.dispose([...(correction ? [correction] : []), ...(teacher ? [teacher.probs] : [])]);
    scatterRowGradients(rowGrads, d, opts.pooling, contexts, grads.pooled, cand.items, grads.rows, grads.bias);
    // The model's arrays hold free + content rows: the content rows step on their own,
    // and the table step takes their old part off the free rows and adds the new one back.
    const keep = average?.nextKeep() ?? null;
    const tableArgs: TableStepArgs = { t: adam.itemIn.nextStep(), lr: opts.lr, adam: decayed, content: side ? side.step(rowGrads.itemIn, rowGrads.itemOut) : null, keep };
    adam.itemOut.nextStep();
    if (session) await session.step(tableArgs);
    else tableStepRange(state, tableArgs, 0, n);
    adam.itemBias.step(rowGrads.itemBias);
    for (const k of ['w1', 'b1', 'w2', 'b2'] as const) adam[k].step(grads.tower[k]);
    if (average && keep !== null) average.updateRest(model, keep);
    return loss;
  };
  return { model, average, step, close: () => session?.close() };
}
