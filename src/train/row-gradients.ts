import type { UserSequence } from '../data/split';
import type { PoolingConfig } from '../model/manifest';
import { poolingWeights } from '../model/pooling';

/** Dense gradients of the item tables, refilled each step. */
export interface RowGradients {
  itemIn: Float32Array;
  itemOut: Float32Array;
  itemBias: Float32Array;
}

/**
 * Routes the gradients of gathered rows back to the table rows they came from (wasm has
 * no UnsortedSegmentSum, so rows are gathered outside the tape): the pooled contexts'
 * gradient (B×d) to each pooled item's input row by its pooling weight, the candidates'
 * output-row (m×d) and bias (m) gradients to their items.
 */
export function scatterRowGradients(
  out: RowGradients,
  d: number,
  pooling: PoolingConfig,
  contexts: readonly UserSequence['events'][],
  gPooled: Float32Array,
  candidates: Int32Array,
  gRows: Float32Array,
  gBias: Float32Array,
): void {
  out.itemIn.fill(0);
  out.itemOut.fill(0);
  out.itemBias.fill(0);
  contexts.forEach((c, b) => {
    const { start, weights } = poolingWeights(c, pooling);
    for (let j = 0; j < weights.length; j++) {
      const w = weights[j];
      if (w === 0) continue;
      const base = c[start + j].index * d;
      for (let k = 0; k < d; k++) out.itemIn[base + k] += w * gPooled[b * d + k];
    }
  });
  candidates.forEach((c, i) => {
    for (let k = 0; k < d; k++) out.itemOut[c * d + k] += gRows[i * d + k];
    out.itemBias[c] += gBias[i];
  });
}
