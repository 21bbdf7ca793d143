import type { SparseFeatures } from '../model/features';
import { AdamW } from './adam';
import { randomTable } from './random-table';

/** The item tables a content part is added to. */
interface ItemTables {
  itemIn: Float32Array;
  itemOut: Float32Array;
}

/**
 * table[i] += sign · Σ_b w_b·rows[b] for items i in [from, to), feature by feature in order
 * (each addition rounded to float32 as it is stored, so a range computes the same bits on
 * any thread).
 */
export function addContentRange(table: Float32Array, rows: Float32Array, features: readonly SparseFeatures[], d: number, sign: 1 | -1, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const f = features[i];
    if (!f) continue;
    for (let j = 0; j < f.buckets.length; j++) {
      const w = sign * f.weights[j];
      const b = f.buckets[j] * d;
      for (let k = 0; k < d; k++) table[i * d + k] += w * rows[b + k];
    }
  }
}

/**
 * Content rows of the item tables: itemIn = free + Σ_b w_b·cIn[b] (and the same for
 * itemOut). Between steps the model's arrays hold the sums; around each update of the free
 * rows the content part computed with the tables before this step is taken off
 * (addContentRange −1, leaving the free rows for their own optimiser) and the one with the
 * tables after it added back (+1). `step` updates the content rows from the summed
 * gradient of their items and returns both versions.
 */
export function contentRows(
  content: { features: readonly SparseFeatures[]; buckets: number },
  n: number,
  d: number,
  opts: { lr: number; weightDecay: number },
  normal: () => number,
) {
  const { features, buckets } = content;
  const cIn = randomTable(buckets, d, 0.1, normal);
  const cOut = randomTable(buckets, d, 0.1, normal);
  const adamIn = new AdamW(cIn, { lr: opts.lr, weightDecay: opts.weightDecay });
  const adamOut = new AdamW(cOut, { lr: opts.lr, weightDecay: opts.weightDecay });
  const gcIn = new Float32Array(buckets * d);
  const gcOut = new Float32Array(buckets * d);
  return {
    features,
    /** Adds the content part to freshly initialised free rows. */
    apply(model: ItemTables): void {
      addContentRange(model.itemIn, cIn, features, d, 1, 0, n);
      addContentRange(model.itemOut, cOut, features, d, 1, 0, n);
    },
    /** Updates the content rows from the gradients of the summed rows: the tables before and after. */
    step(gIn: Float32Array, gOut: Float32Array): { before: { cIn: Float32Array; cOut: Float32Array }; after: { cIn: Float32Array; cOut: Float32Array } } {
      const before = { cIn: cIn.slice(), cOut: cOut.slice() };
      gcIn.fill(0);
      gcOut.fill(0);
      for (let i = 0; i < n; i++) {
        const f = features[i];
        // Most items get no gradient in a step; skipping them adds exactly nothing less.
        if (!f || !(nonZero(gIn, i * d, d) || nonZero(gOut, i * d, d))) continue;
        for (let j = 0; j < f.buckets.length; j++) {
          const w = f.weights[j];
          const b = f.buckets[j] * d;
          for (let k = 0; k < d; k++) {
            gcIn[b + k] += w * gIn[i * d + k];
            gcOut[b + k] += w * gOut[i * d + k];
          }
        }
      }
      adamIn.step(gcIn);
      adamOut.step(gcOut);
      return { before, after: { cIn, cOut } };
    },
  };
}

function nonZero(a: Float32Array, start: number, len: number): boolean {
  for (let k = start; k < start + len; k++) if (a[k] !== 0) return true;
  return false;
}
