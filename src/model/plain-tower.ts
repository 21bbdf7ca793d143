/**
 * The user tower and its inner-loop gradient in plain TypeScript over Float32Arrays: no
 * tfjs, so it runs in the Worker before (or without) any tfjs backend, and in Node for
 * evaluation and meta-training. At the model's sizes (one 32-wide user, a 2-layer tower)
 * tfjs spends far longer dispatching ops than computing them; here a step is two passes
 * over the item table and a few thousand multiply-adds for the tower.
 */
import type { InnerLoopConfig } from './manifest';
import type { TowerParams } from './weights';

/** The frozen item side the inner loop scores against. */
export interface ItemTable {
  n: number;
  d: number;
  /** n × d, row-major. */
  out: Float32Array;
  /** n */
  bias: Float32Array;
}

/** A weighted target item for one user's loss. */
export interface TargetItem {
  index: number;
  weight: number;
}

/** The tower's intermediate values at one pooled context, kept for the backward pass. */
interface Forward {
  hPre: Float64Array;
  h: Float64Array;
  u: Float32Array;
}

function forward(t: TowerParams, p: ArrayLike<number>, d: number, hidden: number): Forward {
  const hPre = new Float64Array(hidden);
  const h = new Float64Array(hidden);
  for (let k = 0; k < hidden; k++) hPre[k] = t.b1[k];
  for (let c = 0; c < d; c++) {
    const pc = p[c];
    if (pc === 0) continue;
    const row = c * hidden;
    for (let k = 0; k < hidden; k++) hPre[k] += pc * t.w1[row + k];
  }
  const acc = new Float64Array(d);
  for (let c = 0; c < d; c++) acc[c] = p[c] + t.b2[c];
  for (let k = 0; k < hidden; k++) {
    const hk = hPre[k] > 0 ? hPre[k] : 0;
    h[k] = hk;
    if (hk === 0) continue;
    const row = k * d;
    for (let c = 0; c < d; c++) acc[c] += hk * t.w2[row + c];
  }
  return { hPre, h, u: Float32Array.from(acc) };
}

/** u = p + relu(p·w1 + b1)·w2 + b2 for one pooled context p (length d). */
export function userVector(t: TowerParams, p: ArrayLike<number>): Float32Array {
  return forward(t, p, p.length, t.b1.length).u;
}

/** Targets scaled to sum to 1, the way the inner loss weighs them (all-zero stays zero). */
export function normaliseTargets(targets: readonly TargetItem[]): TargetItem[] {
  const total = targets.reduce((s, t) => s + t.weight, 0);
  return total > 0 ? targets.map((t) => ({ index: t.index, weight: t.weight / total })) : [];
}

/**
 * One user's softmax loss Σ_j t_j·(logsumexp(logits) − logit_j) and its gradient with
 * respect to the user vector u, over the whole catalogue. One pass over the item table:
 * the softmax-weighted sum of item rows is accumulated online (rescaled whenever a new
 * maximum logit appears), so each row is read once. `targets` must already be normalised.
 */
export function softmaxLossAndUserGrad(u: Float32Array, targets: readonly TargetItem[], items: ItemTable, withoutBias: boolean): { loss: number; du: Float64Array } {
  const { n, d, out, bias } = items;
  let total = 0;
  for (const t of targets) total += t.weight;
  const du = new Float64Array(d);
  if (total === 0) return { loss: 0, du };
  const acc = new Float64Array(d);
  const uu = Float64Array.from(u);
  let max = -Infinity;
  let sum = 0;
  const d4 = d - (d % 4);
  for (let i = 0, base = 0; i < n; i++, base += d) {
    const l = rowDot(uu, out, base, d, withoutBias ? 0 : bias[i]);
    if (l > max) {
      const r = Math.exp(max - l);
      sum *= r;
      for (let k = 0; k < d; k++) acc[k] *= r;
      max = l;
    }
    const e = Math.exp(l - max);
    sum += e;
    let c = 0;
    for (; c < d4; c += 4) {
      acc[c] += e * out[base + c];
      acc[c + 1] += e * out[base + c + 1];
      acc[c + 2] += e * out[base + c + 2];
      acc[c + 3] += e * out[base + c + 3];
    }
    for (; c < d; c++) acc[c] += e * out[base + c];
  }
  let loss = total * (max + Math.log(sum));
  for (let c = 0; c < d; c++) du[c] = (total * acc[c]) / sum;
  for (const t of targets) {
    const base = t.index * d;
    let l = withoutBias ? 0 : bias[t.index];
    for (let c = 0; c < d; c++) {
      l += u[c] * out[base + c];
      du[c] -= t.weight * out[base + c];
    }
    loss -= t.weight * l;
  }
  return { loss, du };
}

/**
 * start + u·table[base … base+d): four partial sums, a 4-wide body the JIT keeps in
 * registers (d is a multiple of 4 in every model here), which is what makes the scoring
 * and softmax passes over the item table fast. One summation order for both.
 */
export function rowDot(u: Float64Array, table: Float32Array, base: number, d: number, start: number): number {
  const d4 = d - (d % 4);
  let s0 = start;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let c = 0;
  for (; c < d4; c += 4) {
    s0 += u[c] * table[base + c];
    s1 += u[c + 1] * table[base + c + 1];
    s2 += u[c + 2] * table[base + c + 2];
    s3 += u[c + 3] * table[base + c + 3];
  }
  for (; c < d; c++) s0 += u[c] * table[base + c];
  return s0 + s1 + (s2 + s3);
}

/**
 * The inner loss of one user and its gradient for every tower parameter: the
 * hand-written backward pass of u = p + relu(p·w1 + b1)·w2 + b2 under the softmax loss.
 * With `withoutBias` the item bias is left out of the logits (the logQ-corrected loss).
 */
export function towerLossAndGrads(
  t: TowerParams,
  pooled: ArrayLike<number>,
  targets: readonly TargetItem[],
  items: ItemTable,
  withoutBias = false,
): { loss: number; grads: TowerParams } {
  const d = items.d;
  const hidden = t.b1.length;
  const f = forward(t, pooled, d, hidden);
  const { loss, du } = softmaxLossAndUserGrad(f.u, targets, items, withoutBias);
  const w1 = new Float32Array(d * hidden);
  const b1 = new Float32Array(hidden);
  const w2 = new Float32Array(hidden * d);
  const b2 = Float32Array.from(du);
  for (let k = 0; k < hidden; k++) {
    const hk = f.h[k];
    const row = k * d;
    let dh = 0;
    for (let c = 0; c < d; c++) {
      w2[row + c] = hk * du[c];
      dh += t.w2[row + c] * du[c];
    }
    // relu'(x) = 1 for x > 0, else 0 (as tfjs's step).
    b1[k] = f.hPre[k] > 0 ? dh : 0;
  }
  for (let c = 0; c < d; c++) {
    const pc = pooled[c];
    const row = c * hidden;
    for (let k = 0; k < hidden; k++) w1[row + k] = pc * b1[k];
  }
  return { loss, grads: { w1, b1, w2, b2 } };
}

/**
 * The on-device inner loop: `cfg.steps` SGD steps at rate `cfg.lr` on one user's tower,
 * minimising the softmax loss of that user's interactions given their pooled history.
 * The browser Worker, evaluation and meta-training all run exactly this function, so
 * what meta-training optimises for is what the device does. Returns a new tower.
 */
export function adaptTower(start: TowerParams, pooled: ArrayLike<number>, targets: readonly TargetItem[], items: ItemTable, cfg: InnerLoopConfig): TowerParams {
  const norm = normaliseTargets(targets);
  const cur: TowerParams = { w1: start.w1.slice(), b1: start.b1.slice(), w2: start.w2.slice(), b2: start.b2.slice() };
  if (norm.length === 0) return cur;
  for (let s = 0; s < cfg.steps; s++) {
    const { grads } = towerLossAndGrads(cur, pooled, norm, items, cfg.debias === true);
    for (const k of ['w1', 'b1', 'w2', 'b2'] as const) {
      const p = cur[k];
      const g = grads[k];
      for (let i = 0; i < p.length; i++) p[i] -= cfg.lr * g[i];
    }
  }
  return cur;
}

/** adaptTower for each user of a batch from the same start: pooled is B×d, row-major. */
export function adaptTowers(start: TowerParams, pooled: Float32Array, targets: readonly (readonly TargetItem[])[], items: ItemTable, cfg: InnerLoopConfig): TowerParams[] {
  const d = items.d;
  return targets.map((t, b) => adaptTower(start, pooled.subarray(b * d, (b + 1) * d), t, items, cfg));
}
