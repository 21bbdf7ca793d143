import { createRng } from '../data/random';
import type { UserSequence } from '../data/split';
import type { InnerLoopConfig, PoolingConfig } from '../model/manifest';
import { cloneTower, type TowerParams } from '../model/weights';
import { AdamW } from './adam';
import { BestSnapshot } from './early-stopping';
import type { MetaAlgorithm } from './options';
import { sampleTasks, type MetaTask } from './meta-tasks';
import { taskUpdates, type MetaTables } from './parallel-work';
import { TrainPool } from './pool';
import { yieldToEventLoop } from './yield';
import type { TableModel } from '../model/weights';

export type { MetaAlgorithm } from './options';

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
  /** The outer loss weighs the next 10 as much as all later interactions (queryTargets). */
  queryViews: boolean;
  seed: number;
  validate?: (tower: TowerParams) => Promise<number>;
  evalEvery: number;
  /** Shares each step's tasks across threads (the same updates, combined in task order). */
  pool?: TrainPool | null;
  onProgress?: (p: { step: number; steps: number; loss: number; validation?: number }) => void;
}

export interface MetaResult {
  tower: TowerParams;
  history: { step: number; validation: number; loss: number }[];
  best: { step: number; validation: number };
}

const KEYS = ['w1', 'b1', 'w2', 'b2'] as const;

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
  const rng = createRng(opts.seed);
  const tower = cloneTower(start);
  const adam = {
    w1: new AdamW(tower.w1, { lr: opts.metaLr }),
    b1: new AdamW(tower.b1, { lr: opts.metaLr }),
    w2: new AdamW(tower.w2, { lr: opts.metaLr }),
    b2: new AdamW(tower.b2, { lr: opts.metaLr }),
  };
  // The tables are frozen here: one shared copy serves every step's workers.
  const frozen = opts.pool && opts.pool.threads > 1 ? TrainPool.sharedTables(tables) : tables;
  const eligible = users.filter((u) => u.events.length >= 2);
  const history: MetaResult['history'] = [];
  const initial = opts.validate ? await opts.validate(tower) : NaN;
  const best = new BestSnapshot(cloneTower, { model: tower, at: 0, validation: initial });
  if (opts.validate) history.push({ step: 0, validation: initial, loss: NaN });
  let lossAvg = NaN;

  for (let step = 1; step <= opts.steps; step++) {
    const tasks = sampleTasks(rng, eligible, { count: opts.tasksPerStep, supportSizes: opts.supportSizes, queryMax: opts.queryMax });
    const { loss, grads } = await outerGradient(frozen, tower, tasks, opts);
    KEYS.forEach((k, i) => adam[k].step(grads[i]));
    lossAvg = Number.isNaN(lossAvg) ? loss : 0.95 * lossAvg + 0.05 * loss;

    let validation: number | undefined;
    if (opts.validate && (step % opts.evalEvery === 0 || step === opts.steps)) {
      validation = await opts.validate(tower);
      history.push({ step, validation, loss: lossAvg });
      best.record(step, validation, tower);
    }
    opts.onProgress?.({ step, steps: opts.steps, loss: lossAvg, validation });
    await yieldToEventLoop();
  }
  return { tower: opts.validate ? best.model : tower, history, best: { step: best.best.at, validation: best.best.validation } };
}

/**
 * One outer step's mean query loss per task and meta-gradient (w1, b1, w2, b2): every
 * task's tower is adapted on its support by the on-device inner loop (adaptTowers, the
 * very function the Worker runs); FOMAML's gradient is the query loss gradient at the
 * adapted towers, Reptile's pseudo-gradient θ − θ' moves θ toward them. Tasks may be
 * computed on several threads; they are summed here in task order.
 */
async function outerGradient(
  tables: MetaTables,
  tower: TowerParams,
  tasks: MetaTask[],
  opts: Pick<MetaOptions, 'algorithm' | 'inner' | 'pooling' | 'queryViews' | 'pool'>,
): Promise<{ loss: number; grads: Float32Array[] }> {
  const T = tasks.length;
  const work = { algorithm: opts.algorithm, inner: opts.inner, pooling: opts.pooling, queryViews: opts.queryViews };
  const updates = opts.pool ? await opts.pool.metaUpdates(tables, tower, tasks, work) : taskUpdates(tables, tower, tasks, work);
  const grads = KEYS.map((k) => new Float32Array(tower[k].length));
  let loss = 0;
  for (const { loss: l, update } of updates) {
    loss += l;
    KEYS.forEach((k, i) => {
      const g = grads[i];
      const u = update[k];
      const t = tower[k];
      // FOMAML's update is the query gradient; Reptile's is the adapted tower (pseudo-gradient θ − θ').
      if (opts.algorithm === 'reptile') for (let j = 0; j < g.length; j++) g[j] += (t[j] - u[j]) / T;
      else for (let j = 0; j < g.length; j++) g[j] += u[j] / T;
    });
  }
  return { loss: loss / T, grads };
}
