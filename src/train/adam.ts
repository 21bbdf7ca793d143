/**
 * AdamW over plain Float32Arrays. Gradients arrive dense (sparse row gradients are
 * scattered into a zeroed buffer first), which keeps one code path for item tables and
 * the tower; a step over a 10k×64 table costs a few milliseconds in JS.
 */
export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (AdamW). */
  weightDecay?: number;
}

export class AdamW {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private t = 0;
  constructor(
    readonly param: Float32Array,
    private readonly opts: AdamOptions,
  ) {
    this.m = new Float32Array(param.length);
    this.v = new Float32Array(param.length);
  }

  step(grad: ArrayLike<number>, lr = this.opts.lr): void {
    const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0 } = this.opts;
    this.t++;
    const c1 = 1 - Math.pow(beta1, this.t);
    const c2 = 1 - Math.pow(beta2, this.t);
    const { param: p, m, v } = this;
    const decay = 1 - lr * weightDecay;
    for (let i = 0; i < p.length; i++) {
      const g = grad[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      p[i] = p[i] * decay - (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
    }
  }
}
