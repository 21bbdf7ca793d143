import type { PoolingConfig } from './manifest';
import { poolBatch, recencyWeight, type IndexedEvent } from './pooling';
import { NEXT_VIEW_LENGTH } from '../data/split';
import { normaliseTargets, type TargetItem } from './plain-tower';

/**
 * What the user's own history asks the inner loop to predict: the pooled window,
 * event-weighted and, when the pooling favours recent positions, weighted the same way, so
 * the steps move toward what the user does now.
 */
export function historyTargets(history: readonly IndexedEvent[], pooling: PoolingConfig): TargetItem[] {
  const start = Math.max(0, history.length - pooling.maxItems);
  const h = pooling.halfLifePositions;
  const newest = history.length - 1;
  return history.slice(start).map((e, j) => ({
    index: e.index,
    weight: h === null ? pooling.eventWeights[e.type] : pooling.eventWeights[e.type] * recencyWeight(newest - start - j, h),
  }));
}

/**
 * The inner loop's inputs for a batch of histories: each user's pooled history (B×d; the
 * steps fit from it and the adapted tower then scores from it) and the target items of
 * each user's window. The browser, evaluation and meta-training all build them here.
 */
export function innerInputs(histories: readonly (readonly IndexedEvent[])[], itemIn: Float32Array, d: number, pooling: PoolingConfig): InnerInputs {
  return { pooled: poolBatch(histories, itemIn, d, pooling), targets: histories.map((h) => historyTargets(h, pooling)) };
}

export interface InnerInputs {
  /** B × d, row-major. */
  pooled: Float32Array;
  targets: TargetItem[][];
}

/**
 * The outer (query) loss's targets of a meta-training task, normalised: every later
 * interaction alike, or with `views` the mean of that and the next NEXT_VIEW_LENGTH alone,
 * so the outer loss weighs the two views of the validation criterion alike.
 */
export function queryTargets(query: readonly IndexedEvent[], views: boolean): TargetItem[] {
  const all = 1 / Math.max(1, query.length);
  const near = 1 / Math.max(1, Math.min(NEXT_VIEW_LENGTH, query.length));
  // Without views every weight is 1 before normalising, exactly as before the option existed.
  return normaliseTargets(query.map((e, j) => ({ index: e.index, weight: views ? 0.5 * all + (j < NEXT_VIEW_LENGTH ? 0.5 * near : 0) : 1 })));
}
