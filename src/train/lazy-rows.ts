/**
 * AdamW and the weight average on the rows of a table that a step touches, instead of
 * passes over every row: a pre-training step gathers a few thousand of a catalogue's
 * rows (its contexts' items and its candidates), and dense passes over all n × d values
 * cost as much as a third of a step at 10k items and grow with the catalogue.
 *
 * What an untouched row does (the "lazy" semantics, as in TensorFlow's LazyAdam): nothing.
 * Its moments do not decay and its value does not move on its old momentum. Weight decay
 * is not lost: when the row is next touched (or read at an evaluation) it is multiplied by
 * the (1 − lr·weightDecay) of every step it missed. The weight average of a row that held
 * still for steps s+1 … t is caught up in one go: avg ← value + Π keep · (avg − value).
 * AdamW's bias corrections use the global step count, so a row touched rarely gets the
 * same step size a dense AdamW would give it on a step with a gradient.
 */
import type { AdamOptions } from './adam';

/** The weight average's keep factor of every step so far (1-based), with their running log-sum to catch rows up in one product. */
export class KeepLog {
  private keeps = new Float64Array(64);
  private cum = new Float64Array(64);
  private steps = 0;

  push(keep: number): void {
    this.steps++;
    if (this.steps >= this.keeps.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.keeps = grow(this.keeps);
      this.cum = grow(this.cum);
    }
    this.keeps[this.steps] = keep;
    this.cum[this.steps] = this.cum[this.steps - 1] + Math.log(keep);
  }

  keep(t: number): number {
    return this.keeps[t];
  }

  /** Π keep over steps s+1 … t. */
  between(s: number, t: number): number {
    return s >= t ? 1 : Math.exp(this.cum[t] - this.cum[s]);
  }
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
    for (let i = 0; i < count; i++) {
      const r = rows[i];
      const s = this.last[r];
      const from = r * width;
      const to = from + width;
      if (avg && keeps && s < t - 1) {
        const held = keeps.between(s, t - 1);
        for (let k = from; k < to; k++) avg[k] = p[k] + held * (avg[k] - p[k]);
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

  /** The rows' values after step t (the decay untouched rows owe applied), into `out`. */
  current(t: number, out: Float32Array): Float32Array {
    const { weightDecay = 0, lr } = this.opts;
    const decay1 = 1 - lr * weightDecay;
    const { param: p, width } = this;
    for (let r = 0; r < this.last.length; r++) {
      const decay = weightDecay ? Math.pow(decay1, t - this.last[r]) : 1;
      for (let k = r * width; k < (r + 1) * width; k++) out[k] = p[k] * decay;
    }
    return out;
  }

  /** The weight average after step t (rows that held still caught up), into `out`. */
  average(t: number, keeps: KeepLog, out: Float32Array): Float32Array {
    const { param: p, width } = this;
    const avg = this.avg!;
    for (let r = 0; r < this.last.length; r++) {
      const held = keeps.between(this.last[r], t);
      for (let k = r * width; k < (r + 1) * width; k++) out[k] = p[k] + held * (avg[k] - p[k]);
    }
    return out;
  }
}
