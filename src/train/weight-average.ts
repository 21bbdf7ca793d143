/**
 * The moving average of the weights that pre-training validates and returns (Polyak
 * averaging): the average of the recent iterates generalises better than the last one and
 * moves less from one early-stopping evaluation to the next. The item tables' rows are
 * averaged lazily (src/train/lazy-rows.ts), the tower on every step (mixRange).
 */

/** avg[i] += (1 − keep)·(cur[i] − avg[i]) for i in [from, to). */
export function mixRange(avg: Float32Array, cur: Float32Array, keep: number, from: number, to: number): void {
  for (let i = from; i < to; i++) avg[i] += (1 - keep) * (cur[i] - avg[i]);
}

/**
 * How much of the average step `step` (1-based) keeps: the average covers about the last
 * tenth of the steps taken so far, at most `horizon` steps, so the random start fades out
 * quickly.
 */
export function averageKeep(step: number, horizon: number): number {
  return Math.min(1 - 1 / horizon, (1 + step) / (10 + step));
}
