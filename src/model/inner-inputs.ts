import * as tf from '@tensorflow/tfjs-core';
import type { PoolingConfig } from './manifest';
import { targetMatrix, type TargetItem } from './inner-loop';
import { poolBatch, type IndexedEvent } from './pooling';

/** What the user's own history asks the inner loop to predict: the pooled window, event-weighted. */
export function historyTargets(history: readonly IndexedEvent[], pooling: PoolingConfig): TargetItem[] {
  const start = Math.max(0, history.length - pooling.maxItems);
  return history.slice(start).map((e) => ({ index: e.index, weight: pooling.eventWeights[e.type] }));
}

/**
 * The inner loop's inputs for a batch of histories: each user's pooled history (B×d; the
 * steps fit from it and the adapted tower then scores from it) and the target rows of all
 * of each user's windowed items (B×n). The browser and meta-training both build their
 * inputs here; dispose them with `disposeInnerInputs`.
 */
export function innerInputs(
  histories: readonly (readonly IndexedEvent[])[],
  itemIn: Float32Array,
  d: number,
  n: number,
  pooling: PoolingConfig,
): InnerInputs {
  const B = histories.length;
  const pooled = tf.tensor2d(poolBatch(histories, itemIn, d, pooling), [B, d]);
  return { pooled, targets: targetMatrix(histories.map((h) => historyTargets(h, pooling)), n) };
}

export interface InnerInputs {
  pooled: tf.Tensor2D;
  targets: tf.Tensor2D;
}

export function disposeInnerInputs({ pooled, targets }: InnerInputs): void {
  tf.dispose([pooled, targets]);
}
