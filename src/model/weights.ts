import type { ContentFeatureConfig, InnerLoopConfig, PoolingConfig } from './manifest';
import { LocalrecError } from '../errors';

/**
 * The user tower's parameters θ, row-major: u = p + relu(p·w1 + b1)·w2 + b2.
 * These are the only parameters that change on the device.
 */
export interface TowerParams {
  /** d × hidden */
  w1: Float32Array;
  /** hidden */
  b1: Float32Array;
  /** hidden × d */
  w2: Float32Array;
  /** d */
  b2: Float32Array;
}

/** Every weight of a model as plain typed arrays (no tfjs), row-major. */
export interface ModelWeights {
  n: number;
  d: number;
  hidden: number;
  /** n × d: embeddings pooled into the user's context (frozen on the device). */
  itemIn: Float32Array;
  /** n × d: embeddings scored against the user vector (frozen on the device). */
  itemOut: Float32Array;
  /** n */
  itemBias: Float32Array;
  tower: TowerParams;
  /** buckets × (2d + 1): hashed content features → [itemIn | itemOut | bias] for unseen items. */
  contentProj: Float32Array;
}

/** Item tables and a shared tower: a model before the content projection is fitted (what training passes between stages). */
export type TableModel = Omit<ModelWeights, 'contentProj'>;

export interface ModelConfig {
  pooling: PoolingConfig;
  inner: InnerLoopConfig;
  content: ContentFeatureConfig;
}

export const DEFAULT_POOLING: PoolingConfig = {
  maxItems: 20,
  eventWeights: { view: 1, cart: 2, purchase: 3, rating: 1 },
  halfLifeHours: null,
  halfLifePositions: null,
};

// The debiased (logQ-corrected) loss is the variant whose steps helped in the MovieLens runs (docs/evaluation.md).
export const DEFAULT_INNER: InnerLoopConfig = { steps: 5, lr: 0.05, debias: true };

export const DEFAULT_CONTENT: ContentFeatureConfig = { buckets: 512 };

export function towerSize(d: number, hidden: number): number {
  return d * hidden + hidden + hidden * d + d;
}

export function cloneTower(t: TowerParams): TowerParams {
  return { w1: t.w1.slice(), b1: t.b1.slice(), w2: t.w2.slice(), b2: t.b2.slice() };
}

/** A copy of a model's tables and tower that shares no array with it. */
export function cloneTables(m: TableModel): TableModel {
  return { ...m, itemIn: m.itemIn.slice(), itemOut: m.itemOut.slice(), itemBias: m.itemBias.slice(), tower: cloneTower(m.tower) };
}

/** Fresh tower: small random w1, zero w2 so the initial user vector is the pooled context itself. */
export function initTower(d: number, hidden: number, normal: () => number): TowerParams {
  const w1 = new Float32Array(d * hidden);
  const scale = Math.sqrt(2 / d);
  for (let i = 0; i < w1.length; i++) w1[i] = normal() * scale;
  return { w1, b1: new Float32Array(hidden), w2: new Float32Array(hidden * d), b2: new Float32Array(d) };
}

/** Flattens the tower into one vector in the fixed order w1, b1, w2, b2 (how the Worker stores personal weights). */
export function flattenTower(t: TowerParams): Float32Array {
  const out = new Float32Array(t.w1.length + t.b1.length + t.w2.length + t.b2.length);
  let o = 0;
  for (const a of [t.w1, t.b1, t.w2, t.b2]) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

export function unflattenTower(flat: Float32Array, d: number, hidden: number): TowerParams {
  if (flat.length !== towerSize(d, hidden)) throw new LocalrecError('invalid-argument', `tower vector has ${flat.length} values, expected ${towerSize(d, hidden)}`, { values: flat.length, expected: towerSize(d, hidden) });
  let o = 0;
  const take = (len: number) => flat.slice(o, (o += len));
  return { w1: take(d * hidden), b1: take(hidden), w2: take(hidden * d), b2: take(d) };
}
