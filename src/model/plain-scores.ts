/**
 * Full-catalogue scores in plain TypeScript: score(i) = u·E_i + b_i, a dot-product loop
 * over the item table. The scoring path of the Worker when it measures faster than tfjs
 * (it does at these sizes on a CPU), and the baseline the browser benchmark compares to.
 */
import { rowDot, type ItemTable } from './plain-tower';

/** Scores of `count` user vectors (count × d, row-major) against every item: count × n, row-major. */
export function scoreItems(users: Float32Array, count: number, items: ItemTable): Float32Array {
  const { n, d, out, bias } = items;
  const scores = new Float32Array(count * n);
  for (let b = 0; b < count; b++) {
    const u = Float64Array.from(users.subarray(b * d, (b + 1) * d));
    const row = b * n;
    for (let i = 0, base = 0; i < n; i++, base += d) scores[row + i] = rowDot(u, out, base, d, bias[i]);
  }
  return scores;
}
