import { cutAll, type UserSequence } from '../data/split';
import { topN } from '../eval/metrics';
import { meanValidationNdcg, type ValidationView } from '../eval/validation';
import type { InnerLoopConfig } from '../model/manifest';
import { ModelSession } from '../model/session';
import type { ModelConfig, ModelWeights, TowerParams } from '../model/weights';

/**
 * Cold-start validation NDCG@10 of a model (see meanValidationNdcg): support = first k
 * interactions, full-catalogue ranking with the support excluded; with `inner` set, the
 * tower is first adapted by the on-device inner loop. Used for early stopping and model
 * selection; never sees test users.
 */
export async function coldStartNdcg(
  weights: ModelWeights,
  config: ModelConfig,
  tower: TowerParams,
  users: readonly UserSequence[],
  k: number,
  inner: InnerLoopConfig | null,
  view: ValidationView = 'full',
): Promise<number> {
  const cuts = cutAll(users, k);
  if (!cuts.length) return 0;
  const session = new ModelSession(weights, config);
  try {
    const histories = cuts.map((c) => c.support);
    const scores = inner && inner.steps > 0
      ? (await session.adaptAndScore(tower, histories, inner)).scores
      : await session.scoreShared(tower, histories);
    const lists = cuts.map((c, b) => topN(scores.subarray(b * weights.n, (b + 1) * weights.n), 10, c.support.map((e) => e.index)));
    return meanValidationNdcg(cuts, lists, view);
  } finally {
    session.dispose();
  }
}
