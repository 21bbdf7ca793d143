import type { UserSequence } from '../data/split';
import { topN } from '../eval/metrics';
import { ValidationCriterion, type RankCuts, type ValidationView } from '../eval/validation';
import type { InnerLoopConfig } from '../model/manifest';
import { ModelSession } from '../model/session';
import type { ModelConfig, ModelWeights, TowerParams } from '../model/weights';

/**
 * Ranks validation cuts with a model, the way the Worker would: full-catalogue scores
 * with the support excluded; with `inner` set the tower is first adapted on each support
 * by the on-device inner loop.
 */
export function modelRanker(weights: ModelWeights, config: ModelConfig, tower: TowerParams, inner: InnerLoopConfig | null): RankCuts {
  return async (cuts) => {
    const session = new ModelSession(weights, config);
    try {
      const histories = cuts.map((c) => c.support);
      const scores = inner && inner.steps > 0
        ? (await session.adaptAndScore(tower, histories, inner)).scores
        : await session.scoreShared(tower, histories);
      return cuts.map((c, b) => topN(scores.subarray(b * weights.n, (b + 1) * weights.n), 10, c.support.map((e) => e.index)));
    } finally {
      session.dispose();
    }
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
): Promise<number> {
  const criterion = new ValidationCriterion(users, new Float32Array(weights.n), [k], view);
  return criterion.score(modelRanker(weights, config, tower, inner));
}
