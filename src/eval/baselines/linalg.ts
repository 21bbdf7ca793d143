/**
 * Dense symmetric-positive-definite linear algebra on row-major Float64Arrays, just enough
 * for EASE (one n×n inverse) and ALS (many d×d solves). Cholesky rather than Gauss-Jordan:
 * the matrices are SPD by construction (Gram + λI), Cholesky needs no pivoting, does half
 * the work and fails loudly (non-positive pivot) when the input is not SPD.
 * Loops are ordered so the inner loop walks contiguous rows.
 */
import { LocalrecError } from '../../errors';

/** Cholesky A = L·Lᵀ in place: the lower triangle of `a` becomes L, the upper is zeroed. */
export function choleskyInPlace(a: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j];
    for (let k = 0; k < j; k++) d -= a[rj + k] * a[rj + k];
    if (!(d > 0)) throw new LocalrecError('invalid-argument', `matrix is not positive definite (pivot ${j}: ${d})`);
    const ljj = Math.sqrt(d);
    a[rj + j] = ljj;
    const inv = 1 / ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= a[ri + k] * a[rj + k];
      a[ri + j] = s * inv;
    }
    for (let k = j + 1; k < n; k++) a[rj + k] = 0;
  }
}

/** Solves L·Lᵀ·x = b in place in `b`, given the Cholesky factor from `choleskyInPlace`. */
export function choleskySolveInPlace(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[ri + k] * b[k];
    b[i] = s / l[ri + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * b[k];
    b[i] = s / l[i * n + i];
  }
}

/**
 * Inverse of an SPD matrix (full symmetric result). Consumes `a`.
 * Cost ≈ n³/2 multiply-adds: Cholesky (n³/6), W = L⁻¹ (n³/6), A⁻¹ = WᵀW (n³/6).
 */
export function invertSpd(a: Float64Array, n: number): Float64Array {
  choleskyInPlace(a, n);
  // W = L⁻¹ (lower triangular), row by row: W_i = (e_i − Σ_{k<i} L_ik W_k) / L_ii.
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let k = 0; k < i; k++) {
      const lik = a[ri + k];
      if (lik === 0) continue;
      const rk = k * n;
      for (let c = 0; c <= k; c++) w[ri + c] -= lik * w[rk + c];
    }
    const inv = 1 / a[ri + i];
    for (let c = 0; c < i; c++) w[ri + c] *= inv;
    w[ri + i] = inv;
  }
  // A⁻¹ = Wᵀ·W as a sum of rank-one updates of W's rows (lower triangle, then mirror).
  const p = a; // reuse L's storage
  p.fill(0);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let r = 0; r <= i; r++) {
      const wr = w[ri + r];
      if (wr === 0) continue;
      const pr = r * n;
      for (let c = 0; c <= r; c++) p[pr + c] += wr * w[ri + c];
    }
  }
  for (let r = 0; r < n; r++) for (let c = 0; c < r; c++) p[c * n + r] = p[r * n + c];
  return p;
}
