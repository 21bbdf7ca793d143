import * as tf from '@tensorflow/tfjs-core';
import type { InnerLoopConfig } from './manifest';
import { adaptTowers, disposeTower, targetMatrix, towerLossAndGrads, type ItemTensors } from './inner-loop';
import { disposeInnerInputs, innerInputs } from './inner-inputs';
import { poolBatch, type IndexedEvent } from './pooling';
import { itemScores, tileTower, towerToTensors, untileTower, userVectors } from './tower';
import type { ModelConfig, ModelWeights, TowerParams } from './weights';

export { historyTargets } from './inner-inputs';

/**
 * The model at run time, on whatever tfjs backend is active: item tensors stay resident,
 * users are scored and adapted in batches. Node evaluation and the browser Worker both
 * use this class, so they compute the same thing.
 */
export class ModelSession {
  readonly items: ItemTensors;
  constructor(
    readonly weights: ModelWeights,
    readonly config: ModelConfig,
  ) {
    this.items = {
      out: tf.tensor2d(weights.itemOut, [weights.n, weights.d]),
      bias: tf.tensor1d(weights.itemBias),
    };
  }

  private pooledBatch(histories: readonly (readonly IndexedEvent[])[]): tf.Tensor2D {
    const { d } = this.weights;
    return tf.tensor2d(poolBatch(histories, this.weights.itemIn, d, this.config.pooling), [histories.length, d]);
  }

  /** Full-catalogue scores for each history with one shared tower (B×n, row-major). */
  async scoreShared(tower: TowerParams, histories: readonly (readonly IndexedEvent[])[]): Promise<Float32Array> {
    const { d, hidden } = this.weights;
    const t = towerToTensors(tower, d, hidden);
    const pooled = this.pooledBatch(histories);
    const scores = tf.tidy(() => itemScores(userVectors(t, pooled), this.items.out, this.items.bias));
    const data = (await scores.data()) as Float32Array;
    tf.dispose([scores, pooled]);
    disposeTower(t);
    return data;
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
    const { d, hidden, n } = this.weights;
    const inputs = innerInputs(histories, this.weights.itemIn, d, n, this.config.pooling);
    const tiled = tileTower(start, d, hidden, histories.length);
    const adapted = adaptTowers(tiled, inputs.pooled, inputs.targets, this.items, inner);
    const scores = tf.tidy(() => itemScores(userVectors(adapted, inputs.pooled), this.items.out, this.items.bias));
    const [towers, data] = await Promise.all([untileTower(adapted, d, hidden), scores.data() as Promise<Float32Array>]);
    disposeInnerInputs(inputs);
    scores.dispose();
    disposeTower(tiled);
    disposeTower(adapted);
    return { towers, scores: data };
  }

  /**
   * One first-order MAML step per user, from the user's own data: adapt `start` on the
   * support with the inner loop, take the gradient of the loss of the later (query)
   * interactions at the adapted tower, and return start − lr·gradient. Its difference
   * from `start` is the update central meta-training averages (src/train/meta.ts), so a
   * device holding both its older and its newer interactions can upload it.
   */
  async metaStepTowers(start: TowerParams, tasks: readonly { support: readonly IndexedEvent[]; query: readonly IndexedEvent[] }[], lr: number): Promise<TowerParams[]> {
    const { d, hidden, n } = this.weights;
    const inputs = innerInputs(tasks.map((t) => t.support), this.weights.itemIn, d, n, this.config.pooling);
    const queryT = targetMatrix(tasks.map((t) => t.query.map((e) => ({ index: e.index, weight: 1 }))), n);
    const tiled = tileTower(start, d, hidden, tasks.length);
    const adapted = adaptTowers(tiled, inputs.pooled, inputs.targets, this.items, this.config.inner);
    const stepped = tf.tidy(() => {
      const { grads } = towerLossAndGrads(adapted, inputs.pooled, queryT, this.items);
      const keys = ['w1', 'b1', 'w2', 'b2'] as const;
      const t = keys.map((k) => tf.sub(tiled[k], tf.mul(grads[k], tf.scalar(lr))));
      return { w1: t[0], b1: t[1], w2: t[2], b2: t[3] };
    });
    const towers = await untileTower(stepped, d, hidden);
    disposeInnerInputs(inputs);
    tf.dispose(queryT);
    disposeTower(tiled);
    disposeTower(adapted);
    disposeTower(stepped);
    return towers;
  }

  dispose(): void {
    tf.dispose([this.items.out, this.items.bias]);
  }
}
