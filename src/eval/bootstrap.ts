/**
 * Seeded percentile bootstrap over users. Users are the resampling unit because the
 * per-user metrics are what DESIGN.md averages; with ~100 test users the intervals are wide,
 * which is exactly why differences between methods get a *paired* interval.
 */
import { LocalrecError } from '../errors';
import { createRng } from '../data/random';

export interface Interval {
  mean: number;
  lo: number;
  hi: number;
}

export interface BootstrapOptions {
  seed: number;
  /** Number of resamples; DESIGN.md says 1000. */
  resamples?: number;
  /** Two-sided confidence level; default 0.95. */
  level?: number;
}

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return values.length === 0 ? NaN : s / values.length;
}

/** Linear interpolation between order statistics (numpy's default percentile). */
function quantile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/** Percentile bootstrap interval of the mean of `values` (one value per user). */
export function bootstrapMean(values: ArrayLike<number>, opts: BootstrapOptions): Interval {
  const n = values.length;
  const m = mean(values);
  if (n === 0) return { mean: NaN, lo: NaN, hi: NaN };
  const B = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  const rng = createRng(opts.seed);
  const means = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[rng.int(n)];
    means[b] = s / n;
  }
  means.sort();
  const alpha = (1 - level) / 2;
  return { mean: m, lo: quantile(means, alpha), hi: quantile(means, 1 - alpha) };
}

/**
 * Paired bootstrap interval of mean(a) − mean(b), where a[i] and b[i] belong to the same
 * user: resampling users (not values) keeps the pairing, so the user-to-user spread that
 * both methods share cancels out.
 */
export function pairedBootstrapDiff(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  opts: BootstrapOptions,
): Interval {
  if (a.length !== b.length) throw new LocalrecError('invalid-argument', `paired bootstrap needs equal lengths (${a.length} vs ${b.length})`);
  const d = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) d[i] = a[i] - b[i];
  return bootstrapMean(d, opts);
}
