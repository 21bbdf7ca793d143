/**
 * The work training shares out to worker threads, as plain functions that the main thread
 * and the workers both run (src/train/pool.ts), so a share computes the same bits on
 * either side. Each item of work (a validation user's cut, a meta-training task) is
 * computed on its own; the caller combines the results in item order, so what is computed
 * does not depend on how many threads there are.
 */
import { topN } from '../eval/metrics';
import type { InnerLoopConfig, PoolingConfig } from '../model/manifest';
import { innerInputs, queryTargets } from '../model/inner-inputs';
import type { IndexedEvent } from '../model/pooling';
import { adaptTowers, towerLossAndGrads, type ItemTable } from '../model/plain-tower';
import { ModelSession } from '../model/session';
import type { ModelConfig, ModelWeights, TowerParams } from '../model/weights';
import type { MetaTask } from './meta-tasks';
import type { MetaAlgorithm } from './options';

/** Top-10 lists (support excluded) of each support after the on-device steps, or with the shared tower when `inner` is null. */
export async function rankSupports(
  weights: ModelWeights,
  config: ModelConfig,
  tower: TowerParams,
  inner: InnerLoopConfig | null,
  supports: readonly (readonly IndexedEvent[])[],
): Promise<Int32Array[]> {
  if (!supports.length) return [];
  const session = new ModelSession(weights, config);
  try {
    const scores = inner && inner.steps > 0 ? (await session.adaptAndScore(tower, supports, inner)).scores : await session.scoreShared(tower, supports);
    return supports.map((s, b) => topN(scores.subarray(b * weights.n, (b + 1) * weights.n), 10, s.map((e) => e.index)));
  } finally {
    session.dispose();
  }
}

export interface MetaWorkOptions {
  algorithm: MetaAlgorithm;
  inner: InnerLoopConfig;
  pooling: PoolingConfig;
  queryViews: boolean;
}

/** The frozen tables meta-training adapts against. */
export interface MetaTables {
  n: number;
  d: number;
  itemIn: Float32Array;
  itemOut: Float32Array;
  itemBias: Float32Array;
}

/**
 * Each task's query loss and what its outer update is made of: FOMAML's query-loss
 * gradient at the tower adapted on the support, or (Reptile) the adapted tower itself.
 */
export function taskUpdates(tables: MetaTables, tower: TowerParams, tasks: readonly MetaTask[], opts: MetaWorkOptions): { loss: number; update: TowerParams }[] {
  const { n, d } = tables;
  const items: ItemTable = { n, d, out: tables.itemOut, bias: tables.itemBias };
  const inputs = innerInputs(tasks.map((t) => t.support), tables.itemIn, d, opts.pooling);
  const adapted = adaptTowers(tower, inputs.pooled, inputs.targets, items, opts.inner);
  return adapted.map((a, t) => {
    const query = queryTargets(tasks[t].query, opts.queryViews);
    const q = towerLossAndGrads(a, inputs.pooled.subarray(t * d, (t + 1) * d), query, items);
    return { loss: q.loss, update: opts.algorithm === 'reptile' ? a : q.grads };
  });
}
