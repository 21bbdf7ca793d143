import type { UserSequence } from '../data/split';
import { ValidationCriterion, type RankCuts, type ValidationView } from '../eval/validation';
import type { InnerLoopConfig } from '../model/manifest';
import type { ModelConfig, ModelWeights, TowerParams } from '../model/weights';
import { rankSupports } from './parallel-work';
import type { TrainPool } from './pool';

/**
 * Ranks validation cuts with a model, the way the Worker would: full-catalogue scores
 * with the support excluded; with `inner` set the tower is first adapted on each support
 * by the on-device inner loop. With a pool the cuts are ranked across its threads (the same
 * lists).
 */
export function modelRanker(weights: ModelWeights, config: ModelConfig, tower: TowerParams, inner: InnerLoopConfig | null, pool?: TrainPool | null): RankCuts {
  return async (cuts) => {
    const supports = cuts.map((c) => c.support);
    return pool ? pool.rank(weights, config, tower, inner, supports) : rankSupports(weights, config, tower, inner, supports);
  };
}

/** Cold-start validation NDCG@10 of a model at one k and a raw view ('full' or 'both'). */
export async function coldStartNdcg(
  weights: ModelWeights,
  config: ModelConfig,
  tower: TowerParams,
  users: readonly UserSequence[],
  k: number,
  inner: InnerLoopConfig | null,
  view: Exclude<ValidationView, 'relative'> = 'full',
  pool?: TrainPool | null,
): Promise<number> {
  const criterion = new ValidationCriterion(users, new Float32Array(weights.n), [k], view);
  return criterion.score(modelRanker(weights, config, tower, inner, pool));
}
