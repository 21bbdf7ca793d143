/**
 * ItemKNN (cosine): sim(i, j) = |U_i ∩ U_j| / sqrt(|U_i|·|U_j|) on the binary training
 * user×item matrix; a new user's score for j = Σ over support items s of sim(s, j), where
 * only the `neighbours` most similar items of each s count (0 = all).
 * Similarity rows are computed on demand from the CSR matrix and cached: a 9k×9k dense
 * similarity matrix would need ~320 MB, while the test users touch a few thousand rows.
 */
import { topN } from '../metrics';
import type { Axes, Point } from '../grid-search';
import type { ColdStartMethod, HyperParams, IndexedEvent, TrainingData } from '../method';
import { userItemMatrix, type UserItemMatrix } from './csr';

interface Neighbours {
  idx: Int32Array;
  sim: Float32Array;
}

export class ItemKnn implements ColdStartMethod {
  readonly name = 'itemknn';
  /** Neighbours per support item; a count above an item's co-occurring items means all of them. */
  readonly axes: Axes = { neighbours: { values: [10, 30, 100, 300, 1000], extend: 'log', integer: true, min: 1 } };
  private neighbours = 0;
  private m: UserItemMatrix | undefined;
  private cache = new Map<number, Neighbours>();
  private co = new Float32Array(0);
  private out = new Float32Array(0);

  setParams(p: Point): void {
    this.neighbours = Number(p.neighbours);
    this.cache.clear();
  }

  params(): HyperParams {
    return { neighbours: this.neighbours };
  }

  fit(train: TrainingData): void {
    this.m = userItemMatrix(train);
    this.cache.clear();
    this.co = new Float32Array(this.m.nItems);
    this.out = new Float32Array(this.m.nItems);
  }

  private row(s: number): Neighbours {
    const hit = this.cache.get(s);
    if (hit) return hit;
    const m = this.m!;
    const co = this.co;
    co.fill(0);
    const { byItem, byUser } = m;
    for (let p = byItem.ptr[s]; p < byItem.ptr[s + 1]; p++) {
      const u = byItem.cols[p];
      for (let q = byUser.ptr[u]; q < byUser.ptr[u + 1]; q++) co[byUser.cols[q]]++;
    }
    const ns = byItem.ptr[s + 1] - byItem.ptr[s];
    for (let j = 0; j < m.nItems; j++) {
      if (co[j] === 0) continue;
      co[j] /= Math.sqrt(ns * (byItem.ptr[j + 1] - byItem.ptr[j]));
    }
    co[s] = 0; // an item is not its own neighbour
    let res: Neighbours;
    if (this.neighbours > 0) {
      const idx = topN(co, this.neighbours);
      const sim = new Float32Array(idx.length);
      for (let r = 0; r < idx.length; r++) sim[r] = co[idx[r]];
      res = { idx, sim };
    } else {
      let nnz = 0;
      for (let j = 0; j < m.nItems; j++) if (co[j] > 0) nnz++;
      const idx = new Int32Array(nnz);
      const sim = new Float32Array(nnz);
      for (let j = 0, r = 0; j < m.nItems; j++) if (co[j] > 0) (idx[r] = j), (sim[r++] = co[j]);
      res = { idx, sim };
    }
    this.cache.set(s, res);
    return res;
  }

  scoreUser(support: readonly IndexedEvent[]): Float32Array {
    const out = this.out;
    out.fill(0);
    for (const e of support) {
      const { idx, sim } = this.row(e.index);
      for (let r = 0; r < idx.length; r++) out[idx[r]] += sim[r];
    }
    return out;
  }
}
