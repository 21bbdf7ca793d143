/**
 * EASE (Steck 2019): B = I − P·diag(1/diag(P)) with P = (XᵀX + λI)⁻¹, zero diagonal;
 * a new user's score for j = Σ over support items s of B[s][j].
 *
 * Two exact routes, whichever inverts the smaller matrix:
 *
 * - Dual (fewer training users than items, e.g. MovieLens small: 488 users, 9k items).
 *   Woodbury: P = (I − Xᵀ M X)/λ with M = (XXᵀ + λI)⁻¹, a users×users inverse. Then
 *   P_jj = (1 − x_jᵀ M x_j)/λ and, for j ∉ S, Σ_{s∈S} B_sj = (x_Sᵀ M x_j)/(1 − x_jᵀ M x_j)
 *   where x_j is item j's user column and x_S = Σ_s x_s. Full-catalogue EASE, no restriction,
 *   and scoring a user costs O(users² + nnz).
 * - Primal (more users than items, e.g. the synthetic shop): the items×items inverse. Dense
 *   n×n Cholesky in plain JS costs ~n³/2 multiply-adds (2.3k items ≈ 13 s), so when the
 *   catalogue exceeds `maxItems` the primal route keeps only the `maxItems` most-interacted
 *   items (smallest count threshold N leaving ≤ maxItems items); the others score −∞ and
 *   contribute nothing as support. `params()` reports N and the kept count.
 */
import { LocalrecError } from '../../errors';
import type { Axes, Point } from '../grid-search';
import type { ColdStartMethod, HyperParams, IndexedEvent, TrainingData } from '../method';
import { userItemMatrix, type UserItemMatrix } from './csr';
import { invertSpd } from './linalg';

export interface EaseOptions {
  lambda?: number;
  /** Primal route only: largest item×item system to invert. */
  maxItems?: number;
  /** Force a route (tests compare both); default: the smaller system. */
  route?: 'dual' | 'primal';
}

interface Dual {
  kind: 'dual';
  m: UserItemMatrix;
  /** users×users M = (XXᵀ + λI)⁻¹. */
  inv: Float64Array;
  /** 1 − x_jᵀ M x_j (= λ·P_jj) per item. */
  denom: Float64Array;
  xs: Float64Array;
  v: Float64Array;
}

interface Primal {
  kind: 'primal';
  /** Catalogue index of each kept item. */
  kept: Int32Array;
  /** Position in `kept` per catalogue index, −1 when dropped. */
  pos: Int32Array;
  /** Row-major kept×kept weights. */
  b: Float32Array;
}

export class Ease implements ColdStartMethod {
  readonly name = 'ease';
  // Wide on purpose: the best λ grows with the data's density (500 to 20,000 on MovieLens-like data).
  readonly axes: Axes = { lambda: { values: [100, 300, 1000, 3000, 10000], extend: 'log', min: 1 } };
  private lambda: number;
  private readonly maxItems: number;
  private readonly route: 'dual' | 'primal' | undefined;
  private state: Dual | Primal | undefined;
  private out = new Float32Array(0);
  private minCount = 0;

  constructor(opts: EaseOptions = {}) {
    this.lambda = opts.lambda ?? 500;
    this.maxItems = opts.maxItems ?? 2500;
    this.route = opts.route;
  }

  setParams(p: Point): void {
    this.lambda = Number(p.lambda);
  }

  params(): HyperParams {
    const s = this.state;
    if (s?.kind === 'primal') return { lambda: this.lambda, route: 'primal', minCount: this.minCount, items: s.kept.length };
    return { lambda: this.lambda, route: 'dual' };
  }

  fit(train: TrainingData): void {
    const m = userItemMatrix(train);
    const route = this.route ?? (m.nUsers < m.nItems ? 'dual' : 'primal');
    this.state = route === 'dual' ? this.fitDual(m) : this.fitPrimal(m, train.itemCounts);
    this.out = new Float32Array(m.nItems);
  }

  private fitDual(m: UserItemMatrix): Dual {
    const nu = m.nUsers;
    const { ptr, cols } = m.byItem;
    const k = new Float64Array(nu * nu);
    for (let j = 0; j < m.nItems; j++) {
      for (let p = ptr[j]; p < ptr[j + 1]; p++) {
        const ru = cols[p] * nu;
        for (let q = ptr[j]; q < ptr[j + 1]; q++) k[ru + cols[q]] += 1;
      }
    }
    for (let u = 0; u < nu; u++) k[u * nu + u] += this.lambda;
    const inv = invertSpd(k, nu);
    const denom = new Float64Array(m.nItems);
    for (let j = 0; j < m.nItems; j++) {
      let s = 0;
      for (let p = ptr[j]; p < ptr[j + 1]; p++) {
        const ru = cols[p] * nu;
        for (let q = ptr[j]; q < ptr[j + 1]; q++) s += inv[ru + cols[q]];
      }
      denom[j] = 1 - s;
    }
    return { kind: 'dual', m, inv, denom, xs: new Float64Array(nu), v: new Float64Array(nu) };
  }

  private fitPrimal(m: UserItemMatrix, counts: Int32Array): Primal {
    const nItems = m.nItems;
    let minCount = 1;
    if (nItems > this.maxItems) {
      const sorted = Int32Array.from(counts).sort().reverse();
      minCount = sorted[this.maxItems] + 1;
    }
    this.minCount = minCount;
    const pos = new Int32Array(nItems).fill(-1);
    const keptList: number[] = [];
    for (let i = 0; i < nItems; i++) if (counts[i] >= minCount) pos[i] = keptList.push(i) - 1;
    const n = keptList.length;

    // Gram matrix G = XᵀX on kept items.
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
    return { kind: 'primal', kept: Int32Array.from(keptList), pos, b };
  }

  scoreUser(support: readonly IndexedEvent[]): Float32Array {
    const s = this.state;
    if (!s) throw new LocalrecError('invalid-state', 'Ease.scoreUser called before fit');
    return s.kind === 'dual' ? this.scoreDual(s, support) : this.scorePrimal(s, support);
  }

  private scoreDual(s: Dual, support: readonly IndexedEvent[]): Float32Array {
    const { m, inv, denom, xs, v } = s;
    const nu = m.nUsers;
    const { ptr, cols } = m.byItem;
    xs.fill(0);
    for (const e of support) for (let p = ptr[e.index]; p < ptr[e.index + 1]; p++) xs[cols[p]] += 1;
    for (let u = 0; u < nu; u++) {
      const ru = u * nu;
      let acc = 0;
      for (let w = 0; w < nu; w++) acc += inv[ru + w] * xs[w];
      v[u] = acc;
    }
    const out = this.out;
    for (let j = 0; j < m.nItems; j++) {
      let acc = 0;
      for (let p = ptr[j]; p < ptr[j + 1]; p++) acc += v[cols[p]];
      out[j] = acc / denom[j];
    }
    return out;
  }

  private scorePrimal(s: Primal, support: readonly IndexedEvent[]): Float32Array {
    const { kept, pos, b } = s;
    const out = this.out;
    const n = kept.length;
    out.fill(-Infinity);
    for (let k = 0; k < n; k++) out[kept[k]] = 0;
    for (const e of support) {
      const r = pos[e.index];
      if (r < 0) continue;
      const rr = r * n;
      for (let k = 0; k < n; k++) out[kept[k]] += b[rr + k];
    }
    return out;
  }
}
