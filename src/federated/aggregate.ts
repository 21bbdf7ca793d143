/**
 * Combining a round's deltas into one: the mean (FedAvg; over the devices' FOMAML steps it
 * is central meta-training's outer step) or, against outlying or poisoned updates, the
 * coordinate-wise trimmed mean or median.
 */
import { LocalrecError } from '../errors';
import type { NormalSource } from './clip';

/** The ways a round's deltas can be combined; the server's policy, the simulation and its flags name one of these. */
export const AGGREGATORS = ['mean', 'trimmed-mean', 'median'] as const;
export type Aggregator = (typeof AGGREGATORS)[number];

export function aggregate(deltas: readonly Float32Array[], how: Aggregator, trim = 0.1): Float32Array {
  if (deltas.length === 0) throw new LocalrecError('invalid-argument', 'nothing to aggregate');
  const n = deltas[0].length;
  if (deltas.some((d) => d.length !== n)) throw new LocalrecError('invalid-argument', 'deltas differ in length');
  const out = new Float32Array(n);
  if (how === 'mean') {
    // Sum in float64 so the order of arrival does not change the result beyond float32 rounding.
    const sum = new Float64Array(n);
    for (const d of deltas) for (let i = 0; i < n; i++) sum[i] += d[i];
    for (let i = 0; i < n; i++) out[i] = sum[i] / deltas.length;
    return out;
  }
  const col = new Float64Array(deltas.length);
  const k = how === 'trimmed-mean' ? Math.floor(trim * deltas.length) : 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < deltas.length; j++) col[j] = deltas[j][i];
    col.sort();
    if (how === 'median') {
      const m = col.length >> 1;
      out[i] = col.length % 2 ? col[m] : (col[m - 1] + col[m]) / 2;
    } else {
      let s = 0;
      for (let j = k; j < col.length - k; j++) s += col[j];
      out[i] = s / (col.length - 2 * k);
    }
  }
  return out;
}

/**
 * Central DP noise for the mean of m clipped updates: the sum has sensitivity `clip`, so
 * N(0, (z·clip)²) on the sum is N(0, (z·clip/m)²) on the mean.
 */
export function addCentralNoise(mean: Float32Array, m: number, clip: number, multiplier: number, normal: NormalSource): void {
  if (multiplier <= 0) return;
  const std = (multiplier * clip) / m;
  for (let i = 0; i < mean.length; i++) mean[i] += std * normal();
}
