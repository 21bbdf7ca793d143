import { SHORT_HORIZON, type UserSequence } from '../data/split';
import { ndcgAt, topN } from '../eval/metrics';
import type { InnerLoopConfig } from '../model/manifest';
import { ModelSession } from '../model/session';
import type { ModelConfig, ModelWeights, TowerParams } from '../model/weights';

/**
 * Cold-start NDCG@10 on held-out validation users: support = first k interactions,
 * query = all later ones, full-catalogue ranking with the support excluded. With
 * `inner` set, the tower is first adapted by the on-device inner loop. Used for early
 * stopping and model selection; never sees test users. View 'both' averages the full
 * query and the next SHORT_HORIZON interactions, so a snapshot that only ranks popular
 * items (good on a long, drifting future, bad on what comes next) is not preferred.
 */
export type ValidationView = 'full' | 'both';

export async function coldStartNdcg(
  weights: ModelWeights,
  config: ModelConfig,
  tower: TowerParams,
  users: readonly UserSequence[],
  k: number,
  inner: InnerLoopConfig | null,
  view: ValidationView = 'full',
): Promise<number> {
  const cuts = users.filter((u) => u.events.length > k);
  if (!cuts.length) return 0;
  const session = new ModelSession(weights, config);
  try {
    const histories = cuts.map((u) => u.events.slice(0, k));
    const scores = inner && inner.steps > 0
      ? (await session.adaptAndScore(tower, histories, inner)).scores
      : await session.scoreShared(tower, histories);
    let sum = 0;
    cuts.forEach((u, b) => {
      const row = scores.subarray(b * weights.n, (b + 1) * weights.n);
      const ranked = topN(row, 10, histories[b].map((e) => e.index));
      const full = ndcgAt(ranked, new Set(u.events.slice(k).map((e) => e.index)), 10);
      if (view === 'full') sum += full;
      else sum += (full + ndcgAt(ranked, new Set(u.events.slice(k, k + SHORT_HORIZON).map((e) => e.index)), 10)) / 2;
    });
    return sum / cuts.length;
  } finally {
    session.dispose();
  }
}
