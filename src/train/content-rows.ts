import type { SparseFeatures } from '../model/features';
import { AdamW } from './adam';
import { randomTable } from './random-table';

/** The item tables a content part is added to. */
interface ItemTables {
  itemIn: Float32Array;
  itemOut: Float32Array;
}

/**
 * Content rows of the item tables: itemIn = free + Σ_b w_b·cIn[b] (and the same for
 * itemOut). Between steps the model's arrays hold the sums; around each update `remove`
 * takes the content part off (leaving the free rows for their own optimiser), `step`
 * updates the content rows from the summed gradient of their items, `apply` adds it back.
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
  const addInto = (table: Float32Array, rows: Float32Array, sign: number) => {
    for (let i = 0; i < n; i++) {
      const f = features[i];
      if (!f) continue;
      for (let j = 0; j < f.buckets.length; j++) {
        const w = sign * f.weights[j];
        const b = f.buckets[j] * d;
        for (let k = 0; k < d; k++) table[i * d + k] += w * rows[b + k];
      }
    }
  };
  return {
    apply(model: ItemTables): void {
      addInto(model.itemIn, cIn, 1);
      addInto(model.itemOut, cOut, 1);
    },
    remove(model: ItemTables): void {
      addInto(model.itemIn, cIn, -1);
      addInto(model.itemOut, cOut, -1);
    },
    /** Updates the content rows from the gradients of the summed rows. */
    step(gIn: Float32Array, gOut: Float32Array): void {
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
    },
  };
}

function nonZero(a: Float32Array, start: number, len: number): boolean {
  for (let k = start; k < start + len; k++) if (a[k] !== 0) return true;
  return false;
}
