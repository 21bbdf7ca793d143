/**
 * Full-catalogue scores in plain TypeScript: score(i) = u·E_i + b_i, a dot-product loop
 * over the item table. The scoring path of the Worker when it measures faster than tfjs
 * (it does at these sizes on a CPU), and the baseline the browser benchmark compares to.
 */
import type { ItemTable } from './plain-tower';

/** Scores of `count` user vectors (count × d, row-major) against every item: count × n, row-major. */
export function scoreItems(users: Float32Array, count: number, items: ItemTable): Float32Array {
  const { n, d, out, bias } = items;
  const scores = new Float32Array(count * n);
  for (let b = 0; b < count; b++) {
    const u = Float64Array.from(users.subarray(b * d, (b + 1) * d));
    const row = b * n;
    // Four partial sums: a 4-wide body the JIT keeps in registers (d is a multiple of 4 here).
    const d4 = d - (d % 4);
    for (let i = 0, base = 0; i < n; i++, base += d) {
      let s0 = bias[i];
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let c = 0;
      for (; c < d4; c += 4) {
        s0 += u[c] * out[base + c];
        s1 += u[c + 1] * out[base + c + 1];
        s2 += u[c + 2] * out[base + c + 2];
        s3 += u[c + 3] * out[base + c + 3];
      }
      for (; c < d; c++) s0 += u[c] * out[base + c];
      scores[row + i] = s0 + s1 + (s2 + s3);
    }
  }
  return scores;
}
