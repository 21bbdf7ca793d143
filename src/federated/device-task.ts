/**
 * What a device learns from for its upload (the FOMAML client update): it replays its own
 * cold start. Support = its oldest k interactions, k drawn from the support sizes central
 * meta-training draws; query = the next ≤ 50 (meta-training's query length). The upload is
 * then one first-order MAML step (ModelSession.metaStepTowers): adapt on the support with
 * the inner loop, take the gradient of the query loss there. Averaging those steps is
 * central meta-training's outer step, which the simulation showed reaches central quality
 * where averaging personalisation (Reptile) deltas drifts (docs/federated.md).
 * The Worker's federated client and the simulator (src/sim/sampling.ts) both split here.
 */
import type { IndexedEvent } from '../model/pooling';

export interface DeviceTask {
  support: IndexedEvent[];
  query: IndexedEvent[];
}

/** The shipped client update's settings (the simulator's defaults read them). */
export const DEVICE_UPDATE = {
  /** Central meta-training's support sizes (src/train/options.ts). */
  supportSizes: [1, 3, 5, 10, 20] as readonly number[],
  /** At most this many later interactions form the query (meta-training's queryMax). */
  queryMax: 50,
  /** Step size of the device's meta step: 0.2 reached ≥ 95% of central on the shop within 30 rounds. */
  lr: 0.2,
} as const;

/** One support size drawn uniformly from `sizes` with a uniform [0, 1) source. */
export function drawSupportSize(random: () => number, sizes: readonly number[] = DEVICE_UPDATE.supportSizes): number {
  return sizes[Math.min(sizes.length - 1, Math.floor(random() * sizes.length))];
}

/**
 * Splits a history (any order; sorted oldest first by time, stable) into the device's task:
 * support = the first min(supportSize, n − 1) interactions (at least one), query = the next
 * ≤ queryMax. With fewer than two interactions there is nothing later to learn from: null
 * (the device then uploads nothing this time).
 */
export function splitForUpdate(events: readonly IndexedEvent[], supportSize: number, queryMax: number = DEVICE_UPDATE.queryMax): DeviceTask | null {
  if (events.length < 2) return null;
  const ordered = [...events].sort((a, b) => a.ts - b.ts);
  const k = Math.max(1, Math.min(supportSize, ordered.length - 1));
  return { support: ordered.slice(0, k), query: ordered.slice(k, k + queryMax) };
}
