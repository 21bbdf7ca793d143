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
import type { ColdStartMethod, HyperParams, SupportEvent, TrainingData } from '../method';
import { userItemMatrix, type Csr } from './csr';
import { choleskyInPlace, choleskySolveInPlace } from './linalg';

export interface MfOptions {
  factors?: number;
  lambda?: number;
  alpha?: number;
  iterations?: number;
  seed?: number;
}

export class MfAls implements ColdStartMethod {
  readonly name = 'mf-als';
  readonly grid: readonly HyperParams[] = [
    { factors: 32, lambda: 1, alpha: 10 },
    { factors: 32, lambda: 10, alpha: 10 },
    { factors: 64, lambda: 10, alpha: 10 },
    { factors: 64, lambda: 10, alpha: 40 },
    { factors: 64, lambda: 50, alpha: 10 },
  ];
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
    this.iterations = opts.iterations ?? 10;
    this.seed = opts.seed ?? 1;
  }

  setParams(p: HyperParams): void {
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

  /** Solves every row of `x` given fixed `y` (rows of `rows` index into y). */
  private halfStep(x: Float64Array, nx: number, y: Float64Array, ny: number, rows: Csr): void {
    const d = this.d;
    const yty = gramOf(y, ny, d);
    const a = new Float64Array(d * d);
    const b = new Float64Array(d);
    for (let r = 0; r < nx; r++) {
      const cols = rows.cols.subarray(rows.ptr[r], rows.ptr[r + 1]);
      this.solveRow(yty, y, cols, a, b);
      x.set(b, r * d);
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

  scoreUser(support: readonly SupportEvent[]): Float32Array {
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
