/**
 * Why an item scores high for a user: a first-order attribution of the score to each
 * pooled history event, in plain JS (no tfjs) so it runs anywhere and cheaply.
 *
 * The user vector is u = f(p) with p = Σ_j a_j · E_in[j] (a_j = the event's pooling
 * weight over the total), and score(i) = u · E_out[i] + b_i. With J = ∂u/∂p at the
 * user's own pooled context, the gradient g = Jᵀ E_out[i] says how the score moves with
 * p, and event j's share is a_j · (E_in[j] · g). Because f = p + relu(p·w1 + b1)·w2 + b2
 * is piecewise linear, the shares sum to the score minus the bias and the tower's
 * constant part at this context (exactly, not approximately, away from ReLU kinks).
 */
import type { PoolingConfig } from './manifest';
import { poolingWeights, type IndexedEvent } from './pooling';
import type { TowerParams } from './weights';

/**
 * Each history event's weight in the pooled mean (0 outside the window), normalised to
 * sum to 1: poolingWeights spread over the whole history.
 */
export function poolingShares(history: readonly IndexedEvent[], cfg: PoolingConfig): number[] {
  const shares = new Array<number>(history.length).fill(0);
  const { start, weights } = poolingWeights(history, cfg);
  weights.forEach((w, j) => (shares[start + j] = w));
  return shares;
}

export interface ExplainTables {
  d: number;
  hidden: number;
  itemIn: Float32Array;
  itemOut: Float32Array;
  itemBias: Float32Array;
}

export interface ScoreAttribution {
  /** score(i) recomputed in JS with the same tower. */
  score: number;
  /** The part of the score no history event accounts for: bias + tower offset at this context. */
  base: number;
  /** One entry per history event, same order; 0 for events outside the pooling window. */
  contributions: number[];
}

export function attributeScore(
  tables: ExplainTables,
  tower: TowerParams,
  history: readonly IndexedEvent[],
  pooling: PoolingConfig,
  target: number,
): ScoreAttribution {
  const { d, hidden, itemIn, itemOut, itemBias } = tables;
  const shares = poolingShares(history, pooling);
  const p = new Float64Array(d);
  history.forEach((e, j) => {
    if (shares[j] === 0) return;
    for (let c = 0; c < d; c++) p[c] += shares[j] * itemIn[e.index * d + c];
  });
  // Hidden layer at this context: z = p·w1 + b1, active units m = z > 0.
  const z = new Float64Array(hidden);
  for (let h = 0; h < hidden; h++) {
    let s = tower.b1[h];
    for (let c = 0; c < d; c++) s += p[c] * tower.w1[c * hidden + h];
    z[h] = s;
  }
  const eOut = itemOut.subarray(target * d, (target + 1) * d);
  // v_h = m_h · (w2[h] · e_out); g = e_out + w1 · v = Jᵀ e_out.
  const v = new Float64Array(hidden);
  for (let h = 0; h < hidden; h++) {
    if (z[h] <= 0) continue;
    let s = 0;
    for (let a = 0; a < d; a++) s += tower.w2[h * d + a] * eOut[a];
    v[h] = s;
  }
  const g = new Float64Array(d);
  for (let c = 0; c < d; c++) {
    let s = eOut[c];
    for (let h = 0; h < hidden; h++) s += tower.w1[c * hidden + h] * v[h];
    g[c] = s;
  }
  // Exact score for reference: u = p + relu(z)·w2 + b2.
  let score = itemBias[target];
  for (let a = 0; a < d; a++) {
    let u = p[a] + tower.b2[a];
    for (let h = 0; h < hidden; h++) if (z[h] > 0) u += z[h] * tower.w2[h * d + a];
    score += u * eOut[a];
  }
  const contributions = history.map((e, j) => {
    if (shares[j] === 0) return 0;
    let s = 0;
    for (let c = 0; c < d; c++) s += itemIn[e.index * d + c] * g[c];
    return shares[j] * s;
  });
  const explained = contributions.reduce((a, b) => a + b, 0);
  return { score, base: score - explained, contributions };
}
