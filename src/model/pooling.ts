import type { IndexedEvent } from '../data/split';
import type { PoolingConfig } from './manifest';

export type { IndexedEvent };

const HOUR_MS = 3_600_000;

/** The recency discount of an event `age` positions before the newest one, for a half-life in positions. */
export function recencyWeight(age: number, halfLifePositions: number): number {
  return Math.pow(0.5, age / halfLifePositions);
}

/**
 * The weight of each pooled event, normalised to sum to 1: only the most recent
 * `maxItems` count; event weights favour strong signals (purchase > cart > view); optional
 * half-lives (in hours, and in positions) discount old events relative to the newest one. `weights[j]`
 * belongs to `history[start + j]`. Training uses the same weights to route gradients
 * back to the item rows.
 */
export function poolingWeights(history: readonly IndexedEvent[], cfg: PoolingConfig): { start: number; weights: Float32Array } {
  const start = Math.max(0, history.length - cfg.maxItems);
  const weights = new Float32Array(history.length - start);
  const newest = history.length ? history[history.length - 1].ts : 0;
  let total = 0;
  for (let i = start; i < history.length; i++) {
    const e = history[i];
    let w = cfg.eventWeights[e.type];
    // hours × HOUR_MS is the same double as the (hours / 24) × DAY_MS the days form computed, for every hours value the trainer chooses (half-life-names.test.ts).
    if (cfg.halfLifeHours !== null) w *= Math.pow(0.5, (newest - e.ts) / (cfg.halfLifeHours * HOUR_MS));
    if (cfg.halfLifePositions !== null) w *= recencyWeight(history.length - 1 - i, cfg.halfLifePositions);
    if (!(w > 0)) w = 0;
    weights[i - start] = w;
    total += w;
  }
  if (total > 0) for (let j = 0; j < weights.length; j++) weights[j] /= total;
  return { start, weights };
}

/**
 * Weighted mean of the input embeddings of the user's recent interactions, written into
 * `out` at `offset` (zeros for an empty history).
 */
export function poolHistory(
  history: readonly IndexedEvent[],
  itemIn: Float32Array,
  d: number,
  cfg: PoolingConfig,
  out: Float32Array,
  offset = 0,
): void {
  const { start, weights } = poolingWeights(history, cfg);
  out.fill(0, offset, offset + d);
  for (let j = 0; j < weights.length; j++) {
    const w = weights[j];
    if (w === 0) continue;
    const base = history[start + j].index * d;
    for (let c = 0; c < d; c++) out[offset + c] += w * itemIn[base + c];
  }
}

/** poolHistory for a batch of histories: B×d, row-major. */
export function poolBatch(histories: readonly (readonly IndexedEvent[])[], itemIn: Float32Array, d: number, cfg: PoolingConfig): Float32Array {
  const out = new Float32Array(histories.length * d);
  histories.forEach((h, b) => poolHistory(h, itemIn, d, cfg, out, b * d));
  return out;
}
