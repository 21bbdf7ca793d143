import type { ItemMeta } from '../data/types';
import { contentTokens, hashFeatures } from '../model/features';
import type { TableModel } from '../model/weights';

/** Solves A·X = B in place for symmetric positive-definite A (F×F) and B (F×w), by Cholesky. */
function choleskySolve(a: Float64Array, b: Float64Array, f: number, w: number): Float64Array {
  const l = new Float64Array(f * f);
  for (let i = 0; i < f; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * f + j];
      for (let k = 0; k < j; k++) s -= l[i * f + k] * l[j * f + k];
      l[i * f + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / l[j * f + j];
    }
  }
  const y = new Float64Array(f * w);
  for (let c = 0; c < w; c++) {
    for (let i = 0; i < f; i++) {
      let s = b[i * w + c];
      for (let k = 0; k < i; k++) s -= l[i * f + k] * y[k * w + c];
      y[i * w + c] = s / l[i * f + i];
    }
    for (let i = f - 1; i >= 0; i--) {
      let s = y[i * w + c];
      for (let k = i + 1; k < f; k++) s -= l[k * f + i] * y[k * w + c];
      y[i * w + c] = s / l[i * f + i];
    }
  }
  return y;
}

/**
 * Fits the content projection by ridge regression from hashed item features to the
 * trained rows [itemIn | itemOut | bias], over items with at least `minCount` training
 * interactions (rows of rarer items are mostly noise). An item the model never trained
 * on then gets an embedding from its title, categories and brand alone.
 */
export function fitContentProjection(
  tables: TableModel,
  items: readonly ItemMeta[],
  itemCounts: ArrayLike<number>,
  buckets: number,
  opts: { lambda?: number; minCount?: number } = {},
): Float32Array {
  const { lambda = 1, minCount = 3 } = opts;
  const { d } = tables;
  const w = 2 * d + 1;
  const xtx = new Float64Array(buckets * buckets);
  const xty = new Float64Array(buckets * w);
  const row = new Float64Array(w);
  items.forEach((item, i) => {
    if (itemCounts[i] < minCount) return;
    const f = hashFeatures(contentTokens(item), buckets);
    for (let c = 0; c < d; c++) {
      row[c] = tables.itemIn[i * d + c];
      row[d + c] = tables.itemOut[i * d + c];
    }
    row[2 * d] = tables.itemBias[i];
    f.buckets.forEach((a, ja) => {
      const wa = f.weights[ja];
      f.buckets.forEach((b, jb) => (xtx[a * buckets + b] += wa * f.weights[jb]));
      for (let c = 0; c < w; c++) xty[a * w + c] += wa * row[c];
    });
  });
  for (let i = 0; i < buckets; i++) xtx[i * buckets + i] += lambda;
  return Float32Array.from(choleskySolve(xtx, xty, buckets, w));
}
