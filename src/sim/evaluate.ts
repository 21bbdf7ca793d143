/**
 * Scores a tower on the cold-start test users exactly as `npm run eval` scores a model
 * method: ModelMethod (the browser's ModelSession, the on-device inner loop on the first
 * k interactions) and the evaluation's own ranking and NDCG code (meanNdcg10).
 * Optionally also records where one item lands for each user (the poisoning target).
 */
import type { SupportQuery, TrainingData } from '../data/split';
import { meanNdcg10 } from '../eval/evaluate';
import type { ColdStartMethod, IndexedEvent } from '../eval/method';
import { ModelMethod } from '../eval/model-method';
import type { InnerLoopConfig } from '../model/manifest';
import type { ModelConfig, ModelWeights, TowerParams } from '../model/weights';

export interface TowerScore {
  ndcg10Full: number;
  ndcg10Next10: number;
}

export interface ItemRank {
  item: number;
  /** Mean 1-based rank of the item over test users whose support lacks it (support excluded from the ranking). */
  meanRank: number;
  /** Share of those users with the item in their top 10. */
  top10Share: number;
}

/** Wraps a method and records the rank of `item` in every list it scores. */
class RankProbe implements ColdStartMethod {
  readonly name: string;
  private ranks: number[] = [];
  constructor(
    private readonly inner: ColdStartMethod,
    private readonly item: number,
  ) {
    this.name = inner.name;
  }
  async fit(train: TrainingData): Promise<void> {
    await this.inner.fit(train);
  }
  async scoreUser(support: readonly IndexedEvent[]): Promise<Float32Array> {
    const scores = await this.inner.scoreUser(support);
    const excluded = new Set(support.map((e) => e.index));
    if (!excluded.has(this.item)) {
      let rank = 1;
      for (let j = 0; j < scores.length; j++) if (j !== this.item && !excluded.has(j) && scores[j] > scores[this.item]) rank++;
      this.ranks.push(rank);
    }
    return scores;
  }
  result(): ItemRank {
    const n = this.ranks.length || 1;
    return { item: this.item, meanRank: this.ranks.reduce((s, r) => s + r, 0) / n, top10Share: this.ranks.filter((r) => r <= 10).length / n };
  }
}

export interface EvaluationContext {
  weights: ModelWeights;
  config: ModelConfig;
  train: TrainingData;
  /** The test users cut at k (cutAll(split.test.evalUsers, k)). */
  cuts: readonly SupportQuery[];
  inner: InnerLoopConfig;
}

export async function scoreTower(ctx: EvaluationContext, tower: TowerParams, probeItem?: number): Promise<TowerScore & { pushed?: ItemRank }> {
  const model = new ModelMethod('federated+k steps', async () => ({ weights: { ...ctx.weights, tower }, config: ctx.config, tower }), ctx.inner);
  const method = probeItem === undefined ? model : new RankProbe(model, probeItem);
  await method.fit(ctx.train);
  const m = await meanNdcg10(method, ctx.cuts).finally(() => model.dispose());
  const out: TowerScore & { pushed?: ItemRank } = { ndcg10Full: m.full, ndcg10Next10: m.next10 };
  if (method instanceof RankProbe) out.pushed = method.result();
  return out;
}
