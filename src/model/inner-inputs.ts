import * as tf from '@tensorflow/tfjs-core';
import type { InnerLoopConfig, PoolingConfig } from './manifest';
import { targetMatrix, type TargetItem } from './inner-loop';
import { poolHistory, type HistoryEvent } from './pooling';

/** What the user's own history asks the inner loop to predict: the pooled window, event-weighted. */
export function historyTargets(history: readonly HistoryEvent[], pooling: PoolingConfig): TargetItem[] {
  const start = Math.max(0, history.length - pooling.maxItems);
  return history.slice(start).map((e) => ({ index: e.index, weight: pooling.eventWeights[e.type] }));
}

/**
 * The inner loop's inputs for a batch of histories: each user's pooled history (B×d, what
 * the adapted tower then scores from), the contexts the steps fit, and their target rows.
 * With the 'support' objective the contexts are the pooled histories themselves (the same
 * tensor) against all of each user's items (B×n). With 'leave-one-out' J contexts per user
 * (B×J×d, J = the longest window, shorter ones padded with empty rows), row j pooling every
 * windowed item but the j-th and targeting the j-th, weighted so each user's rows sum to 1
 * ((B·J)×n). `heldOut` picks which window positions become rows (default: all);
 * meta-training samples a few to keep its cost down. The browser and meta-training both
 * build their inputs here; dispose them with `disposeInnerInputs`.
 */
export function innerInputs(
  histories: readonly (readonly HistoryEvent[])[],
  itemIn: Float32Array,
  d: number,
  n: number,
  pooling: PoolingConfig,
  inner: InnerLoopConfig,
  heldOut?: (windowLength: number) => readonly number[],
): InnerInputs {
  const B = histories.length;
  const pooledData = new Float32Array(B * d);
  histories.forEach((h, b) => poolHistory(h, itemIn, d, pooling, pooledData, b * d));
  const pooled = tf.tensor2d(pooledData, [B, d]);
  if (inner.objective !== 'leave-one-out') {
    return { pooled, contexts: pooled, targets: targetMatrix(histories.map((h) => historyTargets(h, pooling)), n) };
  }
  const windows = histories.map((h) => h.slice(Math.max(0, h.length - pooling.maxItems)));
  const held = windows.map((w) => (heldOut ? heldOut(w.length) : w.map((_, i) => i)));
  const J = Math.max(1, ...held.map((h) => h.length));
  const data = new Float32Array(B * J * d);
  const rows: TargetItem[][] = [];
  windows.forEach((w, b) => {
    const total = held[b].reduce((s, i) => s + pooling.eventWeights[w[i].type], 0);
    for (let r = 0; r < J; r++) {
      if (r >= held[b].length || total <= 0) {
        rows.push([]);
        continue;
      }
      const j = held[b][r];
      poolHistory(w.filter((_, i) => i !== j), itemIn, d, pooling, data, (b * J + r) * d);
      rows.push([{ index: w[j].index, weight: pooling.eventWeights[w[j].type] / total }]);
    }
  });
  // Rows hold their share of the user's weight, so they must not be renormalised to 1 each.
  const targets = new Float32Array(B * J * n);
  rows.forEach((row, r) => row.forEach((t) => (targets[r * n + t.index] += t.weight)));
  return { pooled, contexts: tf.tensor3d(data, [B, J, d]), targets: tf.tensor2d(targets, [B * J, n]) };
}

export interface InnerInputs {
  pooled: tf.Tensor2D;
  contexts: tf.Tensor2D | tf.Tensor3D;
  targets: tf.Tensor2D;
}

export function disposeInnerInputs({ pooled, contexts, targets }: InnerInputs): void {
  // For the 'support' objective contexts is pooled: dispose each tensor once.
  tf.dispose(contexts === pooled ? [pooled, targets] : [pooled, contexts, targets]);
}
