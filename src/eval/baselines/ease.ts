/**
 * EASE (Steck 2019): B = I − P·diag(1/diag(P)) with P = (XᵀX + λI)⁻¹, zero diagonal;
 * a new user's score for j = Σ over support items s of B[s][j].
 *
 * The inverse is dense n×n in plain JS (~n³/2 multiply-adds), so EASE is restricted to the
 * `maxItems` most-interacted catalogue items: the smallest interaction-count threshold N
 * such that at most `maxItems` items have ≥ N training interactions (on MovieLens small,
 * N≈9 and ~2.3-2.5k of 9k items). Items below the threshold score −∞ (ranked last) and
 * support items below it contribute nothing. This is a deliberate deviation from full EASE;
 * the rare items it drops are almost never in anyone's top 10 under EASE anyway.
 */
import type { ColdStartMethod, HyperParams, SupportEvent, TrainingData } from '../method';
import { userItemMatrix } from './csr';
import { invertSpd } from './linalg';

export interface EaseOptions {
  maxItems?: number;
  lambda?: number;
}

export class Ease implements ColdStartMethod {
  readonly name = 'ease';
  readonly grid: readonly HyperParams[] = [50, 100, 200, 500, 1000, 2000].map((lambda) => ({ lambda }));
  private lambda: number;
  private readonly maxItems: number;
  /** Catalogue index of each kept item. */
  private kept = new Int32Array(0);
  /** Position in `kept` per catalogue index, −1 when dropped. */
  private pos = new Int32Array(0);
  /** Row-major kept×kept weights. */
  private b = new Float32Array(0);
  private out = new Float32Array(0);
  /** Count threshold actually used in the last fit, for the report. */
  minCount = 0;

  constructor(opts: EaseOptions = {}) {
    this.lambda = opts.lambda ?? 500;
    this.maxItems = opts.maxItems ?? 2500;
  }

  setParams(p: HyperParams): void {
    this.lambda = Number(p.lambda);
  }

  params(): HyperParams {
    return { lambda: this.lambda, minCount: this.minCount, items: this.kept.length };
  }

  fit(train: TrainingData): void {
    const nItems = train.catalogue.ids.length;
    const counts = train.itemCounts;
    // Smallest threshold leaving ≤ maxItems items.
    const sorted = Int32Array.from(counts).sort().reverse();
    let minCount = 1;
    if (sorted.length > this.maxItems) minCount = sorted[this.maxItems] + 1;
    this.minCount = minCount;
    const pos = new Int32Array(nItems).fill(-1);
    const keptList: number[] = [];
    for (let i = 0; i < nItems; i++) if (counts[i] >= minCount) pos[i] = keptList.push(i) - 1;
    const n = keptList.length;
    this.kept = Int32Array.from(keptList);
    this.pos = pos;

    // Gram matrix G = XᵀX on kept items (lower triangle, then mirrored).
    const m = userItemMatrix(train);
    const g = new Float64Array(n * n);
    const buf = new Int32Array(n);
    for (let u = 0; u < m.nUsers; u++) {
      let len = 0;
      for (let q = m.byUser.ptr[u]; q < m.byUser.ptr[u + 1]; q++) {
        const k = pos[m.byUser.cols[q]];
        if (k >= 0) buf[len++] = k;
      }
      for (let a = 0; a < len; a++) {
        const ra = buf[a] * n;
        for (let c = 0; c < len; c++) g[ra + buf[c]] += 1;
      }
    }
    for (let i = 0; i < n; i++) g[i * n + i] += this.lambda;
    const p = invertSpd(g, n);
    const b = new Float32Array(n * n);
    for (let r = 0; r < n; r++) {
      const rr = r * n;
      for (let c = 0; c < n; c++) b[rr + c] = r === c ? 0 : -p[rr + c] / p[c * n + c];
    }
    this.b = b;
    this.out = new Float32Array(nItems);
  }

  scoreUser(support: readonly SupportEvent[]): Float32Array {
    const out = this.out;
    const n = this.kept.length;
    out.fill(-Infinity);
    for (let k = 0; k < n; k++) out[this.kept[k]] = 0;
    for (const e of support) {
      const r = this.pos[e.index];
      if (r < 0) continue;
      const rr = r * n;
      for (let k = 0; k < n; k++) out[this.kept[k]] += this.b[rr + k];
    }
    return out;
  }
}
