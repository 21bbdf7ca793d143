import { searchGrid, type SearchResult } from '../eval/grid-search';
import type { ValidationCriterion } from '../eval/validation';
import type { InnerLoopConfig, PoolingConfig } from '../model/manifest';
import type { ModelConfig, ModelWeights, TowerParams } from '../model/weights';
import { modelRanker } from './validate';

/**
 * Whether the device's pooling (and the on-device steps' targets) should favour the
 * newest interactions, and how strongly: a half-life in positions, chosen after
 * pre-training on validation users by the shared criterion, with the pre-trained tower and
 * the on-device steps. "Off" (a plain mean) competes too and wins ties, so data without a
 * useful order keeps the plain mean. Pre-training itself keeps the plain mean: recency
 * during pre-training helped the shop but cost MovieLens a tenth of its next-10 NDCG
 * (docs/evaluation.md), and nothing cheap measured on validation users predicted which.
 */
export interface RecencyChoice {
  /** Half-life in positions, or null for the plain mean. */
  halfLife: number | null;
  chosen: 'fixed' | 'validation';
  validation?: number;
  validationOff?: number;
  trials?: SearchResult['trials'];
  position?: SearchResult['position']['halfLife'];
}

/** Geometric steps in positions; the search extends the axis until the best value is interior. */
const HALF_LIFE_AXIS = { values: [2, 4, 8], extend: 'log', min: 0.25, max: 256, start: 4 } as const;

export function withRecency(pooling: PoolingConfig, halfLife: number | null): PoolingConfig {
  if (halfLife === null) {
    const { recencyHalfLife: _off, ...plain } = pooling;
    return plain;
  }
  return { ...pooling, recencyHalfLife: halfLife };
}

export async function chooseRecency(
  choose: boolean,
  criterion: ValidationCriterion | null,
  weights: ModelWeights,
  config: ModelConfig,
  tower: TowerParams,
  inner: InnerLoopConfig,
): Promise<RecencyChoice> {
  // A half-life fixed for pre-training (--recency-half-life) is kept as it is.
  if (!choose || !criterion || config.pooling.recencyHalfLife !== undefined) return { halfLife: config.pooling.recencyHalfLife ?? null, chosen: 'fixed' };
  const score = (halfLife: number | null) => criterion.score(modelRanker(weights, { ...config, pooling: withRecency(config.pooling, halfLife) }, tower, inner));
  const off = await score(null);
  const res = await searchGrid({ halfLife: HALF_LIFE_AXIS }, (p) => score(p.halfLife));
  const better = res.score > off;
  return {
    halfLife: better ? res.best.halfLife : null,
    chosen: 'validation',
    validation: better ? res.score : off,
    validationOff: off,
    trials: res.trials,
    position: res.position.halfLife,
  };
}
