/**
 * Item–item similarity from the model's own item table, for "related to this product":
 * cosine between embedding rows, plus the blend with a shopper's personal scores. Plain
 * JS over Float32Arrays (no tfjs), O(items · d) per context item.
 */

/** Cosine similarity of every row of `table` (n×d, row-major) with row `target`; 0 for zero rows. */
export class ItemSimilarity {
  private readonly norms: Float32Array;
  constructor(
    private readonly table: Float32Array,
    readonly n: number,
    private readonly d: number,
  ) {
    this.norms = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += table[i * d + c] ** 2;
      this.norms[i] = Math.sqrt(s);
    }
  }

  /** Similarities of every item to `target`, in -1..1. */
  to(target: number): Float32Array {
    const { table, d, n } = this;
    const out = new Float32Array(n);
    const t = table.subarray(target * d, (target + 1) * d);
    const tn = this.norms[target];
    if (tn === 0) return out;
    for (let i = 0; i < n; i++) {
      const ni = this.norms[i];
      if (ni === 0) continue;
      let s = 0;
      const o = i * d;
      for (let c = 0; c < d; c++) s += table[o + c] * t[c];
      out[i] = s / (ni * tn);
    }
    return out;
  }

  pair(a: number, b: number): number {
    const { table, d } = this;
    const na = this.norms[a];
    const nb = this.norms[b];
    if (na === 0 || nb === 0) return 0;
    let s = 0;
    for (let c = 0; c < d; c++) s += table[a * d + c] * table[b * d + c];
    return s / (na * nb);
  }
}

/** (x − mean) / std over the whole array (all zeros when constant): puts two score scales on one footing. */
export function standardise(x: Float32Array): Float32Array {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n || 1;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[i] - mean) ** 2;
  const sd = Math.sqrt(v / (n || 1));
  const out = new Float32Array(n);
  if (sd > 0) for (let i = 0; i < n; i++) out[i] = (x[i] - mean) / sd;
  return out;
}

/** (1 − w)·z(personal) + w·z(related): the related-mode score of a shopper with history. */
export function blendScores(personal: Float32Array, related: Float32Array, relatedWeight: number): Float32Array {
  const a = standardise(personal);
  const b = standardise(related);
  for (let i = 0; i < a.length; i++) a[i] = (1 - relatedWeight) * a[i] + relatedWeight * b[i];
  return a;
}
