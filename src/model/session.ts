import * as tf from '@tensorflow/tfjs-core';
import type { InnerLoopConfig } from './manifest';
import { adaptTowers, disposeTower, type ItemTensors } from './inner-loop';
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

  dispose(): void {
    tf.dispose([this.items.out, this.items.bias]);
  }
}
