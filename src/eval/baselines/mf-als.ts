/**
 * Implicit-feedback matrix factorisation by alternating least squares (Hu, Koren & Volinsky
 * 2008): preference 1 on observed (user, item), confidence 1 + α there and 1 elsewhere,
 * L2 penalty λ. The "everything else is 0 with confidence 1" term uses the YᵀY trick, so
 * each half-step costs O(nnz·d² + n·d³) instead of touching the whole matrix.
 *
 * New users are folded in by the same least-squares user step on their support items with
 * item factors fixed: u = (YᵀY + α·Σ_s y_s y_sᵀ + λI)⁻¹ · (1 + α)·Σ_s y_s.
 */
import { createRng } from '../../data/random';
import type { Axes, Point } from '../grid-search';
import type { ColdStartMethod, HyperParams, IndexedEvent, TrainingData } from '../method';
import { userItemMatrix, type Csr } from './csr';
import { choleskyInPlace, choleskySolveInPlace } from './linalg';

/** CG steps per row per half-step; 3 is the usual choice and close to the exact solve. */
const CG_STEPS = 3;

export interface MfOptions {
  factors?: number;
  lambda?: number;
  alpha?: number;
  iterations?: number;
  seed?: number;
}

export class MfAls implements ColdStartMethod {
  readonly name = 'mf-als';
  /**
   * Confidence α down to 1 (near-binary) matters on rating data. Factors stop at 128: a
   * compute bound of plain-JS ALS (the report says when the search stops there).
   */
  readonly axes: Axes = {
    factors: { values: [16, 32, 64], extend: 'log', integer: true, min: 4, max: 128 },
    lambda: { values: [10, 50, 250], extend: 'log', min: 0.01 },
    alpha: { values: [1, 3, 10, 30], extend: 'log', min: 0.01 },
  };
  private d: number;
  private lambda: number;
  private alpha: number;
  private readonly iterations: number;
  private readonly seed: number;
  private items: Float64Array = new Float64Array(0);
  private nItems = 0;
  private gram: Float64Array = new Float64Array(0);
  private out = new Float32Array(0);

  constructor(opts: MfOptions = {}) {
    this.d = opts.factors ?? 64;
    this.lambda = opts.lambda ?? 10;
    this.alpha = opts.alpha ?? 10;
    this.iterations = opts.iterations ?? 15;
    this.seed = opts.seed ?? 1;
  }

  setParams(p: Point): void {
    this.d = Number(p.factors);
    this.lambda = Number(p.lambda);
    this.alpha = Number(p.alpha);
  }

  params(): HyperParams {
    return { factors: this.d, lambda: this.lambda, alpha: this.alpha, iterations: this.iterations };
  }

  fit(train: TrainingData): void {
    const m = userItemMatrix(train);
    const d = this.d;
    const rng = createRng(this.seed);
    const init = (n: number): Float64Array => {
      const a = new Float64Array(n * d);
      for (let i = 0; i < a.length; i++) a[i] = rng.normal() * 0.01;
      return a;
    };
    const users = init(m.nUsers);
    const items = init(m.nItems);
    for (let it = 0; it < this.iterations; it++) {
      this.halfStep(users, m.nUsers, items, m.nItems, m.byUser);
      this.halfStep(items, m.nItems, users, m.nUsers, m.byItem);
    }
    this.items = items;
    this.nItems = m.nItems;
    this.gram = gramOf(items, m.nItems, d);
    this.out = new Float32Array(m.nItems);
  }

  /** The fitted item factors (row-major, catalogue order): what an ALS engine hands over as its item factors. */
  itemFactors(): { d: number; values: Float64Array } {
    return { d: this.d, values: this.items };
  }

  /**
   * Updates every row of `x` given fixed `y` (rows of `rows` index into y) with a few
   * conjugate-gradient steps warm-started from the current row (Takács et al. 2011): each
   * step costs O(d² + |row|·d) instead of the O(|row|·d² + d³) of a direct solve, which
   * is what makes tuning affordable in plain JS. Fold-in still solves exactly.
   */
  private halfStep(x: Float64Array, nx: number, y: Float64Array, ny: number, rows: Csr): void {
    const d = this.d;
    const alpha = this.alpha;
    const lambda = this.lambda;
    const yty = gramOf(y, ny, d);
    const r = new Float64Array(d);
    const p = new Float64Array(d);
    const ap = new Float64Array(d);
    // ap ← A·v with A = YᵀY + λI + α Σ_c y_c y_cᵀ, without forming A.
    const mulA = (v: Float64Array, cols: Int32Array, out: Float64Array): void => {
      for (let i = 0; i < d; i++) {
        const ri = i * d;
        let s = lambda * v[i];
        for (let j = 0; j < d; j++) s += yty[ri + j] * v[j];
        out[i] = s;
      }
      for (let q = 0; q < cols.length; q++) {
        const o = cols[q] * d;
        let dot = 0;
        for (let i = 0; i < d; i++) dot += y[o + i] * v[i];
        dot *= alpha;
        for (let i = 0; i < d; i++) out[i] += dot * y[o + i];
      }
    };
    for (let row = 0; row < nx; row++) {
      const cols = rows.cols.subarray(rows.ptr[row], rows.ptr[row + 1]);
      const xr = x.subarray(row * d, row * d + d);
      // r = b − A·x with b = (1+α) Σ_c y_c.
      mulA(xr, cols, ap);
      for (let i = 0; i < d; i++) r[i] = -ap[i];
      for (let q = 0; q < cols.length; q++) {
        const o = cols[q] * d;
        for (let i = 0; i < d; i++) r[i] += (1 + alpha) * y[o + i];
      }
      p.set(r);
      let rr = 0;
      for (let i = 0; i < d; i++) rr += r[i] * r[i];
      for (let step = 0; step < CG_STEPS && rr > 1e-20; step++) {
        mulA(p, cols, ap);
        let pap = 0;
        for (let i = 0; i < d; i++) pap += p[i] * ap[i];
        const a = rr / pap;
        let rrNew = 0;
        for (let i = 0; i < d; i++) {
          xr[i] += a * p[i];
          r[i] -= a * ap[i];
          rrNew += r[i] * r[i];
        }
        const beta = rrNew / rr;
        for (let i = 0; i < d; i++) p[i] = r[i] + beta * p[i];
        rr = rrNew;
      }
    }
  }

  /** b ← (YᵀY + α Σ y_c y_cᵀ + λI)⁻¹ (1+α) Σ y_c over the given columns. */
  private solveRow(yty: Float64Array, y: Float64Array, cols: ArrayLike<number>, a: Float64Array, b: Float64Array): void {
    const d = this.d;
    const alpha = this.alpha;
    a.set(yty);
    b.fill(0);
    for (let q = 0; q < cols.length; q++) {
      const o = cols[q] * d;
      for (let i = 0; i < d; i++) {
        const yi = y[o + i];
        b[i] += (1 + alpha) * yi;
        const ai = alpha * yi;
        const ri = i * d;
        for (let j = 0; j <= i; j++) a[ri + j] += ai * y[o + j];
      }
    }
    for (let i = 0; i < d; i++) {
      a[i * d + i] += this.lambda;
      for (let j = 0; j < i; j++) a[j * d + i] = a[i * d + j];
    }
    choleskyInPlace(a, d);
    choleskySolveInPlace(a, d, b);
  }

  scoreUser(support: readonly IndexedEvent[]): Float32Array {
    const d = this.d;
    const cols = support.map((e) => e.index);
    const a = new Float64Array(d * d);
    const u = new Float64Array(d);
    this.solveRow(this.gram, this.items, cols, a, u);
    const out = this.out;
    const y = this.items;
    for (let i = 0; i < this.nItems; i++) {
      const o = i * d;
      let s = 0;
      for (let f = 0; f < d; f++) s += u[f] * y[o + f];
      out[i] = s;
    }
    return out;
  }
}

/** YᵀY (d×d, full symmetric). */
function gramOf(y: Float64Array, n: number, d: number): Float64Array {
  const g = new Float64Array(d * d);
  for (let r = 0; r < n; r++) {
    const o = r * d;
    for (let i = 0; i < d; i++) {
      const yi = y[o + i];
      const gi = i * d;
      for (let j = 0; j <= i; j++) g[gi + j] += yi * y[o + j];
    }
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) g[j * d + i] = g[i * d + j];
  return g;
}
