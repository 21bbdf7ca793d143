/**
 * AdamW over plain Float32Arrays. Gradients arrive dense (sparse row gradients are
 * scattered into a zeroed buffer first), which keeps one code path for item tables and
 * the tower. The item tables' update runs in row ranges on several threads
 * (src/train/table-step.ts) through `adamwRange`, the one formula.
 */
export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (AdamW). */
  weightDecay?: number;
}

/** The AdamW update of step `t` (1-based) on p[from, to), with its moments m and v. */
export function adamwRange(p: Float32Array, m: Float32Array, v: Float32Array, grad: ArrayLike<number>, from: number, to: number, t: number, lr: number, opts: AdamOptions): void {
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0 } = opts;
  const c1 = 1 - Math.pow(beta1, t);
  const c2 = 1 - Math.pow(beta2, t);
  const decay = 1 - lr * weightDecay;
  for (let i = from; i < to; i++) {
    const g = grad[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    p[i] = p[i] * decay - (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
  }
}

export class AdamW {
  readonly m: Float32Array;
  readonly v: Float32Array;
  private t = 0;
  constructor(
    readonly param: Float32Array,
    readonly opts: AdamOptions,
    /** Allocates the moments (shared memory when other threads update ranges of them). */
    alloc: (length: number) => Float32Array = (length) => new Float32Array(length),
  ) {
    this.m = alloc(param.length);
    this.v = alloc(param.length);
  }

  step(grad: ArrayLike<number>, lr = this.opts.lr): void {
    adamwRange(this.param, this.m, this.v, grad, 0, this.param.length, ++this.t, lr, this.opts);
  }

  /** Counts a step whose update other code applies by ranges (adamwRange with the returned t). */
  nextStep(): number {
    return ++this.t;
  }
}
