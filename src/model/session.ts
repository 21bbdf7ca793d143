import type { InnerLoopConfig } from './manifest';
import { innerInputs, queryTargets } from './inner-inputs';
import { poolBatch, type IndexedEvent } from './pooling';
import { adaptTowers, towerLossAndGrads, userVector, type ItemTable } from './plain-tower';
import { PlainScorer, type Scorer } from './scorer';
import type { ModelConfig, ModelWeights, TowerParams } from './weights';

export { historyTargets } from './inner-inputs';

/**
 * The model at run time: the tower and the on-device inner loop in plain TypeScript, the
 * full-catalogue scores by a `Scorer` (plain by default; the Worker may hand it a tfjs one
 * when that measured faster). Node evaluation and the browser Worker both use this class,
 * so they compute the same thing.
 */
export class ModelSession {
  readonly items: ItemTable;
  readonly scorer: Scorer;
  constructor(
    readonly weights: ModelWeights,
    readonly config: ModelConfig,
    scorer?: (items: ItemTable) => Scorer,
  ) {
    this.items = { n: weights.n, d: weights.d, out: weights.itemOut, bias: weights.itemBias };
    this.scorer = scorer ? scorer(this.items) : new PlainScorer(this.items);
  }

  private userVectors(towers: readonly TowerParams[], pooled: Float32Array): Float32Array {
    const { d } = this.weights;
    const users = new Float32Array(towers.length * d);
    towers.forEach((t, b) => users.set(userVector(t, pooled.subarray(b * d, (b + 1) * d)), b * d));
    return users;
  }

  /** Full-catalogue scores for each history with one shared tower (B×n, row-major). */
  async scoreShared(tower: TowerParams, histories: readonly (readonly IndexedEvent[])[]): Promise<Float32Array> {
    const pooled = poolBatch(histories, this.weights.itemIn, this.weights.d, this.config.pooling);
    return this.scorer.scores(this.userVectors(histories.map(() => tower), pooled), histories.length);
  }

  /** The on-device inner loop for each history from the same starting tower: each user's adapted tower. */
  adapt(start: TowerParams, histories: readonly (readonly IndexedEvent[])[], inner: InnerLoopConfig = this.config.inner): TowerParams[] {
    const { pooled, targets } = innerInputs(histories, this.weights.itemIn, this.weights.d, this.config.pooling);
    return adaptTowers(start, pooled, targets, this.items, inner);
  }

  /**
   * Runs the on-device inner loop for each history from the same starting tower and
   * returns each user's adapted tower and full-catalogue scores after adaptation.
   */
  async adaptAndScore(
    start: TowerParams,
    histories: readonly (readonly IndexedEvent[])[],
    inner: InnerLoopConfig = this.config.inner,
  ): Promise<{ towers: TowerParams[]; scores: Float32Array }> {
    const { pooled, targets } = innerInputs(histories, this.weights.itemIn, this.weights.d, this.config.pooling);
    const towers = adaptTowers(start, pooled, targets, this.items, inner);
    return { towers, scores: await this.scorer.scores(this.userVectors(towers, pooled), histories.length) };
  }

  /**
   * One first-order MAML step per user, from the user's own data: adapt `start` on the
   * support with the inner loop, take the gradient of the loss of the later (query)
   * interactions at the adapted tower, and return start − lr·gradient. Its difference
   * from `start` is the update central meta-training averages (src/train/meta.ts), so a
   * device holding both its older and its newer interactions can upload it.
   */
  async metaStepTowers(start: TowerParams, tasks: readonly { support: readonly IndexedEvent[]; query: readonly IndexedEvent[] }[], lr: number): Promise<TowerParams[]> {
    const { d } = this.weights;
    const { pooled, targets } = innerInputs(tasks.map((t) => t.support), this.weights.itemIn, d, this.config.pooling);
    const adapted = adaptTowers(start, pooled, targets, this.items, this.config.inner);
    const step = (from: Float32Array, grad: Float32Array) => Float32Array.from(from, (x, j) => x - lr * grad[j]);
    return adapted.map((a, t) => {
      // The query loss at the adapted tower, as meta-training's outer gradient (src/train/meta.ts).
      const query = queryTargets(tasks[t].query, false);
      const { grads } = towerLossAndGrads(a, pooled.subarray(t * d, (t + 1) * d), query, this.items);
      return { w1: step(start.w1, grads.w1), b1: step(start.b1, grads.b1), w2: step(start.w2, grads.w2), b2: step(start.b2, grads.b2) };
    });
  }

  dispose(): void {
    this.scorer.dispose();
  }
}
