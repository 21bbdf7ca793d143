import { LocalrecError } from '../errors';
import { createRng, type Rng } from '../data/random';
import type { UserSequence } from '../data/split';
import type { PoolingConfig } from '../model/manifest';
import { poolBatch, poolingWeights } from '../model/pooling';
import { cloneTower, initTower, type TableModel } from '../model/weights';
import type { SparseFeatures } from '../model/features';
import { AdamW } from './adam';
import { sharedArray, type TrainPool } from './pool';
import { drawCandidates } from './candidates';
import type { DistillationTeacher } from './distillation';
import { BestSnapshot } from './early-stopping';
import { KeepLog, LazyAdamRows } from './lazy-rows';
import { randomTable } from './random-table';
import { AliasSampler, popularityWeights } from './sampler';
import { allocStepBuffers, columnsPass, rowsPass, setTower, type StepArgs, type StepBuffers } from './step-kernel';
import { averageKeep, mixRange } from './weight-average';
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
  /** Shares each step's passes over the batch's rows and candidates across threads (the same bits). */
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
  const trainer = await nextItemTrainer(users, itemCounts, opts, rng, opts.averageWeights ? evalEvery : null);
  try {
    return await trainLoop(trainer, examples, stepsPerEpoch, evalEvery, opts, rng);
  } finally {
    trainer.close();
  }
}

async function trainLoop(trainer: NextItemTrainer, examples: Example[], stepsPerEpoch: number, evalEvery: number, opts: PretrainOptions, rng: Rng): Promise<PretrainResult> {
  const history: PretrainResult['history'] = [];
  // Every snapshot is a fresh materialisation of the tables: nothing to copy.
  const best = new BestSnapshot((m: TableModel) => m, { model: trainer.snapshot(), at: 0, validation: -Infinity }, opts.patience);
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
        const current = trainer.snapshot();
        validation = await opts.validate(current);
        const at = epoch + (step + 1) / stepsPerEpoch;
        history.push({ epoch: at, validation, loss: lossAvg });
        if (best.record(at, validation, current)) {
          opts.onProgress?.({ epoch, step: stepsPerEpoch, stepsPerEpoch, loss: lossAvg, validation });
          break outer;
        }
      }
      opts.onProgress?.({ epoch, step: step + 1, stepsPerEpoch, loss: lossAvg, validation });
      await yieldToEventLoop();
    }
  }
  if (!opts.validate) return { model: trainer.snapshot(), history, best: { epoch: opts.epochs, validation: NaN } };
  return { model: best.model, history, best: { epoch: best.best.at, validation: best.best.validation } };
}

interface NextItemTrainer {
  step(batch: readonly Example[]): Promise<number>;
  /**
   * The model to validate and return, in fresh arrays: the weight average when kept, else
   * the current weights, with the decay and averaging that untouched rows owe caught up
   * and the content part added to the free rows.
   */
  snapshot(): TableModel;
  close(): void;
}

/** Item rows = free rows + Σ w·content rows of the item's hashed features, kept apart while training. */
interface ContentPart {
  features: readonly SparseFeatures[];
  cIn: LazyAdamRows;
  cOut: LazyAdamRows;
}

/** table[i] (+)= Σ_b w_b·rows[b] for every item, feature by feature (rounded to float32 at each addition). */
function addContent(table: Float32Array, rows: Float32Array, features: readonly SparseFeatures[], d: number): void {
  for (let i = 0; i < features.length; i++) {
    const f = features[i];
    for (let j = 0; j < f.buckets.length; j++) {
      const w = f.weights[j];
      const b = f.buckets[j] * d;
      for (let k = 0; k < d; k++) table[i * d + k] += w * rows[b + k];
    }
  }
}

/** out[o …] = free row i + its content part (the same additions, in the same order, as addContent). */
function effectiveRow(free: Float32Array, content: Float32Array | null, features: readonly SparseFeatures[] | null, i: number, d: number, out: Float32Array, o: number): void {
  for (let k = 0; k < d; k++) out[o + k] = free[i * d + k];
  const f = features?.[i];
  if (!f || !content) return;
  for (let j = 0; j < f.buckets.length; j++) {
    const w = f.weights[j];
    const b = f.buckets[j] * d;
    for (let k = 0; k < d; k++) out[o + k] += w * content[b + k];
  }
}

/** A list of distinct indices touched in one step, in first-touch order, with a dense gradient buffer zeroed row by row after use. */
class Touched {
  readonly list: Int32Array;
  count = 0;
  private readonly stamp: Int32Array;
  private now = 1;
  readonly grad: Float32Array;
  constructor(rows: number, readonly width: number) {
    this.list = new Int32Array(rows);
    this.stamp = new Int32Array(rows);
    this.grad = new Float32Array(rows * width);
  }
  /** Marks row r touched; true the first time in this step. */
  add(r: number): boolean {
    if (this.stamp[r] === this.now) return false;
    this.stamp[r] = this.now;
    this.list[this.count++] = r;
    return true;
  }
  /** Zeroes the touched rows' gradients and starts the next step. */
  reset(): void {
    for (let i = 0; i < this.count; i++) this.grad.fill(0, this.list[i] * this.width, (this.list[i] + 1) * this.width);
    this.count = 0;
    this.now++;
  }
}

/**
 * A freshly initialised model (random free rows, log-popularity bias, content rows when
 * given, a fresh tower) and the step that trains it on one batch of examples. A step
 * touches only the rows its batch gathers: the contexts' input rows and the candidates'
 * output rows and biases (with the content rows of their features), built on the fly from
 * free + content rows and updated by lazy AdamW (src/train/lazy-rows.ts). Its arithmetic
 * (src/train/step-kernel.ts) runs by row and candidate ranges on the pool's threads.
 */
async function nextItemTrainer(users: readonly UserSequence[], itemCounts: Int32Array, opts: PretrainOptions, rng: Rng, averageHorizon: number | null): Promise<NextItemTrainer> {
  const n = itemCounts.length;
  const { d, hidden } = opts;
  const normal = () => rng.normal();
  const pool = opts.pool && opts.pool.threads > 1 ? opts.pool : null;
  const averaged = averageHorizon !== null;
  const decayed = { lr: opts.lr, weightDecay: opts.weightDecay };
  const init = opts.init;
  if (init && (init.n !== n || init.d !== d || init.hidden !== hidden)) {
    throw new LocalrecError('invalid-argument', `start model is ${init.n}×${init.d} (hidden ${init.hidden}), expected ${n}×${d} (hidden ${hidden})`, { n: init.n, d: init.d, hidden: init.hidden });
  }
  const itemIn = new LazyAdamRows(init ? init.itemIn.slice() : randomTable(n, d, 0.1, normal), d, decayed, averaged);
  const itemOut = new LazyAdamRows(init ? init.itemOut.slice() : randomTable(n, d, 0.1, normal), d, decayed, averaged);
  const itemBias = new LazyAdamRows(init ? init.itemBias.slice() : Float32Array.from(itemCounts, (c) => Math.log(c + 1) * 0.1), 1, { lr: opts.lr }, averaged);
  const tower = init ? cloneTower(init.tower) : initTower(d, hidden, normal);
  const towerAdam = {
    w1: new AdamW(tower.w1, decayed),
    b1: new AdamW(tower.b1, { lr: opts.lr }),
    w2: new AdamW(tower.w2, decayed),
    b2: new AdamW(tower.b2, { lr: opts.lr }),
  };
  const towerAverage = averaged ? cloneTower(tower) : null;
  const keeps = averaged ? new KeepLog() : null;
  const content: ContentPart | null = opts.content
    ? {
        features: opts.content.features,
        cIn: new LazyAdamRows(randomTable(opts.content.buckets, d, 0.1, normal), d, decayed, averaged),
        cOut: new LazyAdamRows(randomTable(opts.content.buckets, d, 0.1, normal), d, decayed, averaged),
      }
    : null;
  const features = content?.features ?? null;
  const sampler = n <= opts.fullSoftmaxMaxItems ? null : new AliasSampler(popularityWeights(itemCounts));
  const maxM = sampler ? Math.min(n, opts.negatives + opts.batchSize) : n;
  const t = opts.teacher;
  const buffers: StepBuffers = allocStepBuffers(opts.batchSize, maxM, d, hidden, t ? { d: t.model.d, hidden: t.model.hidden, tower: t.model.tower } : null, pool ? sharedArray : (length) => new Float32Array(length));
  const session = pool ? await pool.openStep(buffers) : null;
  const touchedIn = new Touched(n, d);
  const touchedOut = new Touched(n, d);
  const touchedBias = new Touched(n, 1);
  const buckets = opts.content?.buckets ?? 0;
  const touchedCIn = new Touched(buckets, d);
  const touchedCOut = new Touched(buckets, d);
  // Effective input rows of the batch's context items, by slot.
  const slotOf = new Int32Array(n);
  let inRows = new Float32Array(0);
  let steps = 0;

  const contextLength = (pos: number): number => {
    const full = Math.min(pos, opts.pooling.maxItems);
    return opts.sampleContexts ? 1 + rng.int(full) : full;
  };

  const step = async (batch: readonly Example[]): Promise<number> => {
    const B = batch.length;
    const contexts = batch.map((ex) => users[ex.user].events.slice(ex.pos - contextLength(ex.pos), ex.pos));
    const cand = drawCandidates(batch.map((ex) => users[ex.user].events[ex.pos].index), n, sampler, opts.negatives, rng);
    const m = cand.items.length;
    // Pooled contexts from the effective input rows of their items (poolHistory's arithmetic).
    for (const c of contexts) for (const e of c) touchedIn.add(e.index);
    if (inRows.length < touchedIn.count * d) inRows = new Float32Array(touchedIn.count * d * 2);
    for (let s = 0; s < touchedIn.count; s++) {
      const i = touchedIn.list[s];
      slotOf[i] = s;
      effectiveRow(itemIn.param, content?.cIn.param ?? null, features, i, d, inRows, s * d);
    }
    const weights = contexts.map((c) => poolingWeights(c, opts.pooling));
    const P = buffers.pooled;
    P.fill(0, 0, B * d);
    contexts.forEach((c, b) => {
      const { start, weights: w } = weights[b];
      for (let j = 0; j < w.length; j++) {
        if (w[j] === 0) continue;
        const o = slotOf[c[start + j].index] * d;
        for (let k = 0; k < d; k++) P[b * d + k] += w[j] * inRows[o + k];
      }
    });
    // The candidates' effective output rows (and transposed), bias − logQ and targets.
    for (let j = 0; j < m; j++) {
      const c = cand.items[j];
      effectiveRow(itemOut.param, content?.cOut.param ?? null, features, c, d, buffers.rows, j * d);
      buffers.offset[j] = itemBias.param[c] - (cand.logQ ? cand.logQ[j] : 0);
    }
    for (let j = 0; j < m; j++) for (let k = 0; k < d; k++) buffers.rowsT[k * m + j] = buffers.rows[j * d + k];
    buffers.target.set(cand.targets);
    setTower(buffers.tower, tower);
    if (t && buffers.teacher) {
      const tm = t.model;
      buffers.teacher.pooled.set(poolBatch(contexts, tm.itemIn, tm.d, opts.pooling));
      for (let j = 0; j < m; j++) {
        const c = cand.items[j];
        buffers.teacher.rows.set(tm.itemOut.subarray(c * tm.d, (c + 1) * tm.d), j * tm.d);
        buffers.teacher.offset[j] = tm.itemBias[c] - (cand.logQ ? cand.logQ[j] : 0);
      }
    }
    const args: StepArgs = { B, m, distillWeight: t ? t.weight : 0, temperature: t ? t.temperature : 1 };
    if (session) {
      await session.rows(args);
      await session.columns(args);
    } else {
      rowsPass(buffers, args, 0, B);
      columnsPass(buffers, args, { cand: [0, m], w1: [0, d], w2: [0, hidden] });
    }
    let loss = 0;
    for (let b = 0; b < B; b++) loss += buffers.loss[b];

    // Gradients back to the rows they came from: the pooled contexts' to each pooled item's
    // input row by its pooling weight, the candidates' to their output rows and biases.
    const gIn = touchedIn.grad;
    contexts.forEach((c, b) => {
      const { start, weights: w } = weights[b];
      for (let j = 0; j < w.length; j++) {
        if (w[j] === 0) continue;
        const base = c[start + j].index * d;
        for (let k = 0; k < d; k++) gIn[base + k] += w[j] * buffers.gPooled[b * d + k];
      }
    });
    for (let j = 0; j < m; j++) {
      const c = cand.items[j];
      touchedOut.add(c);
      touchedBias.add(c);
      touchedOut.grad.set(buffers.gRows.subarray(j * d, (j + 1) * d), c * d);
      touchedBias.grad[c] = buffers.gBias[j];
    }
    if (content && features) {
      routeToContent(touchedIn, touchedCIn, features, d);
      routeToContent(touchedOut, touchedCOut, features, d);
    }
    const at = ++steps;
    if (keeps) keeps.push(averageKeep(at, averageHorizon!));
    itemIn.step(touchedIn.list, touchedIn.count, touchedIn.grad, at, keeps);
    itemOut.step(touchedOut.list, touchedOut.count, touchedOut.grad, at, keeps);
    itemBias.step(touchedBias.list, touchedBias.count, touchedBias.grad, at, keeps);
    if (content) {
      content.cIn.step(touchedCIn.list, touchedCIn.count, touchedCIn.grad, at, keeps);
      content.cOut.step(touchedCOut.list, touchedCOut.count, touchedCOut.grad, at, keeps);
    }
    for (const k of ['w1', 'b1', 'w2', 'b2'] as const) {
      towerAdam[k].step(buffers.gTower[k]);
      if (towerAverage && keeps) mixRange(towerAverage[k], tower[k], keeps.keep(at), 0, tower[k].length);
    }
    for (const tt of [touchedIn, touchedOut, touchedBias, touchedCIn, touchedCOut]) tt.reset();
    return loss / B;
  };

  const snapshot = (): TableModel => {
    const read = (rows: LazyAdamRows) => (keeps ? rows.average(steps, keeps, new Float32Array(rows.param.length)) : rows.current(steps, new Float32Array(rows.param.length)));
    const model: TableModel = { n, d, hidden, itemIn: read(itemIn), itemOut: read(itemOut), itemBias: read(itemBias), tower: cloneTower(towerAverage ?? tower) };
    if (content) {
      addContent(model.itemIn, read(content.cIn), content.features, d);
      addContent(model.itemOut, read(content.cOut), content.features, d);
    }
    return model;
  };
  return { step, snapshot, close: () => session?.close() };
}

/** The content rows' gradient: each touched item's row gradient times its features' weights, summed in touch order. */
function routeToContent(items: Touched, content: Touched, features: readonly SparseFeatures[], d: number): void {
  for (let s = 0; s < items.count; s++) {
    const i = items.list[s];
    const f = features[i];
    if (!f) continue;
    for (let j = 0; j < f.buckets.length; j++) {
      const b = f.buckets[j];
      content.add(b);
      const w = f.weights[j];
      for (let k = 0; k < d; k++) content.grad[b * d + k] += w * items.grad[i * d + k];
    }
  }
}
