/**
 * AdamW and the weight average on the rows of a table that a step touches, instead of
 * passes over every row: a pre-training step gathers a few thousand of a catalogue's
 * rows (its contexts' items and its candidates), and dense passes over all n × d values
 * cost as much as a third of a step at 10k items and grow with the catalogue.
 *
 * What an untouched row does is what dense AdamW does to it, charged when the row is next
 * touched, in closed form: over k steps without a gradient its moments decay to β1^k·m
 * and β2^k·v, and its value moves by lr · (m/√v) · Σ_j (β1/√β2)^j · √c2/c1 (the bias
 * corrections of the steps it missed), which is dense AdamW's movement up to ε (the
 * terms fall geometrically, so the sum stops once they are below 1e-10 of the first).
 * Its weight decay is the (1 − lr·weightDecay) of every step it missed. Its weight
 * average is caught up in one go as if it had held its new value for those steps:
 * avg ← value + Π keep · (avg − value). A row read at an evaluation is read as it stands
 * (with the decay it owes). Measured: without the momentum catch-up (TensorFlow's
 * LazyAdam semantics, the row holds still) the shipped method's ratios to the best
 * baseline fell by 0.01–0.03 (docs/training.md).
 */
import type { AdamOptions } from './adam';

/** The weight average's keep factor of every step so far (1-based), with their running log-sum to catch rows up in one product. */
export class KeepLog {
  private keeps = new Float64Array(64);
  /** Σ log keep over the steps with keep > 0, and the last step (≤ i) whose keep was 0 (a horizon of one step keeps nothing). */
  private cum = new Float64Array(64);
  private lastZero = new Int32Array(64);
  private steps = 0;

  push(keep: number): void {
    this.steps++;
    if (this.steps >= this.keeps.length) {
      const grow = <T extends Float64Array | Int32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.keeps = grow(this.keeps);
      this.cum = grow(this.cum);
      this.lastZero = grow(this.lastZero);
    }
    const t = this.steps;
    this.keeps[t] = keep;
    this.cum[t] = this.cum[t - 1] + (keep > 0 ? Math.log(keep) : 0);
    this.lastZero[t] = keep > 0 ? this.lastZero[t - 1] : t;
  }

  keep(t: number): number {
    return this.keeps[t];
  }

  /** Π keep over steps s+1 … t. */
  between(s: number, t: number): number {
    if (s >= t) return 1;
    if (this.lastZero[t] > s) return 0;
    return Math.exp(this.cum[t] - this.cum[s]);
  }
}

/**
 * Σ over the steps i = s+1 … t of (β1/√β2)^(i−s) · √(1 − β2^i) / (1 − β1^i): how far dense
 * AdamW moves a row without gradients over those steps, in units of lr · m/√v (m, v its
 * moments at step s), up to ε. Stops once a term is below 1e-10 of the first.
 */
export function missedMovement(s: number, t: number, beta1: number, beta2: number): number {
  const r = beta1 / Math.sqrt(beta2);
  const h = corrections(beta1, beta2, t);
  let f = 0;
  let rj = 1;
  for (let i = s + 1; i <= t; i++) {
    rj *= r;
    if (rj < 1e-10) break;
    f += rj * h[i];
  }
  return f;
}

/** √(1 − β2^i) / (1 − β1^i) for steps i = 1 … ≥ t, computed once per (β1, β2) and extended as training goes. */
let correctionsOf: { beta1: number; beta2: number; h: Float64Array } | null = null;
function corrections(beta1: number, beta2: number, t: number): Float64Array {
  const c = correctionsOf;
  if (c && c.beta1 === beta1 && c.beta2 === beta2 && c.h.length > t) return c.h;
  const h = new Float64Array(Math.max(1024, 2 * (t + 1)));
  for (let i = 1; i < h.length; i++) h[i] = Math.sqrt(1 - Math.pow(beta2, i)) / (1 - Math.pow(beta1, i));
  correctionsOf = { beta1, beta2, h };
  return h;
}

/** The rows of one table (rows × width, row-major) with their AdamW moments, last-touched steps and optional weight average. */
export class LazyAdamRows {
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** The step each row was last brought up to date at (0: its initial value). */
  readonly last: Int32Array;
  readonly avg: Float32Array | null;

  constructor(
    readonly param: Float32Array,
    readonly width: number,
    readonly opts: AdamOptions,
    average: boolean,
  ) {
    this.m = new Float32Array(param.length);
    this.v = new Float32Array(param.length);
    this.last = new Int32Array(param.length / width);
    this.avg = average ? param.slice() : null;
  }

  /**
   * Step `t` (1-based, the same count for every table) on rows[0 … count): each row's
   * gradient is grad[row·width …]. With an average, `keeps` holds step t's keep factor.
   */
  step(rows: Int32Array, count: number, grad: Float32Array, t: number, keeps: KeepLog | null): void {
    const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, lr } = this.opts;
    const c1 = 1 - Math.pow(beta1, t);
    const c2 = 1 - Math.pow(beta2, t);
    const decay1 = 1 - lr * weightDecay;
    const { param: p, m, v, avg, width } = this;
    const keep = keeps ? keeps.keep(t) : 1;
    const missed = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      const r = rows[i];
      const s = this.last[r];
      const from = r * width;
      const to = from + width;
      if (s < t - 1) {
        // Steps s+1 … t−1 without a gradient, as dense AdamW takes them.
        let f = missed.get(s);
        if (f === undefined) {
          f = missedMovement(s, t - 1, beta1, beta2);
          missed.set(s, f);
        }
        const k = t - 1 - s;
        const d1 = Math.pow(beta1, k);
        const d2 = Math.pow(beta2, k);
        for (let e = from; e < to; e++) {
          if (v[e] > 0) p[e] -= (lr * f * m[e]) / Math.sqrt(v[e]);
          m[e] *= d1;
          v[e] *= d2;
        }
        if (avg && keeps) {
          const held = keeps.between(s, t - 1);
          for (let e = from; e < to; e++) avg[e] = p[e] + held * (avg[e] - p[e]);
        }
      }
      const decay = weightDecay ? Math.pow(decay1, t - s) : 1;
      for (let k = from; k < to; k++) {
        const g = grad[k];
        m[k] = beta1 * m[k] + (1 - beta1) * g;
        v[k] = beta2 * v[k] + (1 - beta2) * g * g;
        p[k] = p[k] * decay - (lr * (m[k] / c1)) / (Math.sqrt(v[k] / c2) + eps);
      }
      if (avg) for (let k = from; k < to; k++) avg[k] += (1 - keep) * (p[k] - avg[k]);
      this.last[r] = t;
    }
  }

  /** Row r's value after step t: its last value moved by the momentum steps it missed since (not stored). */
  private moved(r: number, t: number, out: Float32Array, cache: Map<number, number>): void {
    const { beta1 = 0.9, beta2 = 0.999, lr } = this.opts;
    const { param: p, m, v, width } = this;
    const s = this.last[r];
    let f = 0;
    if (s < t) {
      f = cache.get(s) ?? missedMovement(s, t, beta1, beta2);
      cache.set(s, f);
    }
    for (let e = r * width; e < (r + 1) * width; e++) out[e] = f && v[e] > 0 ? p[e] - (lr * f * m[e]) / Math.sqrt(v[e]) : p[e];
  }

  /** The rows' values after step t (the momentum steps and decay untouched rows owe applied), into `out`. */
  current(t: number, out: Float32Array): Float32Array {
    const { weightDecay = 0, lr } = this.opts;
    const decay1 = 1 - lr * weightDecay;
    const cache = new Map<number, number>();
    for (let r = 0; r < this.last.length; r++) {
      this.moved(r, t, out, cache);
      const decay = weightDecay ? Math.pow(decay1, t - this.last[r]) : 1;
      for (let e = r * this.width; e < (r + 1) * this.width; e++) out[e] *= decay;
    }
    return out;
  }

  /** The weight average after step t (rows that missed steps caught up as if at their moved value), into `out`. */
  average(t: number, keeps: KeepLog, out: Float32Array): Float32Array {
    const avg = this.avg!;
    const cache = new Map<number, number>();
    for (let r = 0; r < this.last.length; r++) {
      this.moved(r, t, out, cache);
      const held = keeps.between(this.last[r], t);
      for (let e = r * this.width; e < (r + 1) * this.width; e++) out[e] = out[e] + held * (avg[e] - out[e]);
    }
    return out;
  }
}
