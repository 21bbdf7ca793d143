import type { Rng } from '../data/random';
import type { AliasSampler } from './sampler';

/** The items one pre-training batch is scored against, and where each row's next item is among them. */
export interface Candidates {
  items: Int32Array;
  /** log q(item) of the sampler per candidate, for the logQ correction; null for the full catalogue. */
  logQ: Float64Array | null;
  /** Per row of the batch: the position of its next item in `items`. */
  targets: Int32Array;
}

/**
 * The whole catalogue when there is no sampler (small catalogues), else the batch's
 * targets ∪ `negatives` popularity-sampled items, shared by every row of the batch.
 */
export function drawCandidates(targetIdx: readonly number[], n: number, sampler: AliasSampler | null, negatives: number, rng: Rng): Candidates {
  if (!sampler) return { items: Int32Array.from({ length: n }, (_, i) => i), logQ: null, targets: Int32Array.from(targetIdx) };
  const set = new Set<number>(targetIdx);
  for (let s = 0; s < negatives; s++) set.add(sampler.draw(rng));
  const items = Int32Array.from(set);
  const pos = new Map<number, number>();
  items.forEach((c, i) => pos.set(c, i));
  return { items, logQ: Float64Array.from(items, (c) => Math.log(sampler.probs[c])), targets: Int32Array.from(targetIdx, (t) => pos.get(t)!) };
}
