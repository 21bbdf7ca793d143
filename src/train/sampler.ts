import type { Rng } from '../data/random';
import { LocalrecError } from '../errors';

/**
 * Walker's alias method: O(1) draws from a fixed discrete distribution. Used for
 * popularity-sampled negatives (counts^alpha), whose probabilities also feed the logQ
 * correction of the sampled softmax.
 */
export class AliasSampler {
  readonly probs: Float64Array;
  private readonly alias: Int32Array;
  private readonly cut: Float64Array;

  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    let total = 0;
    for (let i = 0; i < n; i++) total += weights[i];
    if (!(total > 0)) throw new LocalrecError('invalid-argument', 'sampler needs a positive total weight');
    this.probs = new Float64Array(n);
    for (let i = 0; i < n; i++) this.probs[i] = weights[i] / total;
    this.alias = new Int32Array(n);
    this.cut = new Float64Array(n);
    const scaled = Array.from(this.probs, (p) => p * n);
    const small: number[] = [];
    const large: number[] = [];
    scaled.forEach((p, i) => (p < 1 ? small : large).push(i));
    while (small.length && large.length) {
      const s = small.pop()!;
      const l = large.pop()!;
      this.cut[s] = scaled[s];
      this.alias[s] = l;
      scaled[l] += scaled[s] - 1;
      (scaled[l] < 1 ? small : large).push(l);
    }
    for (const i of [...small, ...large]) this.cut[i] = 1;
  }

  draw(rng: Rng): number {
    const i = rng.int(this.cut.length);
    return rng.next() < this.cut[i] ? i : this.alias[i];
  }
}

/** Popularity-smoothed sampling weights: (count + 1)^alpha. */
export function popularityWeights(counts: ArrayLike<number>, alpha = 0.75): Float64Array {
  return Float64Array.from({ length: counts.length }, (_, i) => Math.pow(counts[i] + 1, alpha));
}
