import type { Rng } from '../data/random';
import type { AliasSampler } from './sampler';

/** The items one pre-training batch is scored against, and each row's one-hot target. */
export interface Candidates {
  items: Int32Array;
  /** log q(item) of the sampler per candidate, for the logQ correction; null for the full catalogue. */
  logQ: Float32Array | null;
  /** B×m one-hot rows: the batch's next item among the candidates. */
  targets: Float32Array;
}

/**
 * The whole catalogue when there is no sampler (small catalogues), else the batch's
 * targets ∪ `negatives` popularity-sampled items, shared by every row of the batch.
 */
export function drawCandidates(targetIdx: readonly number[], n: number, sampler: AliasSampler | null, negatives: number, rng: Rng): Candidates {
  let items: Int32Array;
  let logQ: Float32Array | null = null;
  if (!sampler) {
    items = Int32Array.from({ length: n }, (_, i) => i);
  } else {
    const set = new Set<number>(targetIdx);
    for (let s = 0; s < negatives; s++) set.add(sampler.draw(rng));
    items = Int32Array.from(set);
    logQ = Float32Array.from(items, (c) => Math.log(sampler.probs[c]));
  }
  const m = items.length;
  const pos = new Map<number, number>();
  items.forEach((c, i) => pos.set(c, i));
  const targets = new Float32Array(targetIdx.length * m);
  targetIdx.forEach((t, b) => (targets[b * m + pos.get(t)!] = 1));
  return { items, logQ, targets };
}

/** The output rows (m×d) and biases (m) of the candidates, copied out of a model's tables. */
export function candidateRows(model: { d: number; itemOut: Float32Array; itemBias: Float32Array }, items: Int32Array): { rows: Float32Array; bias: Float32Array } {
  const { d } = model;
  const rows = new Float32Array(items.length * d);
  const bias = new Float32Array(items.length);
  items.forEach((c, i) => {
    rows.set(model.itemOut.subarray(c * d, (c + 1) * d), i * d);
    bias[i] = model.itemBias[c];
  });
  return { rows, bias };
}
