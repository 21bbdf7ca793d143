import { searchGrid, type SearchResult } from '../eval/grid-search';
import type { ValidationCriterion } from '../eval/validation';
import type { InnerLoopConfig, PoolingConfig } from '../model/manifest';
import type { ModelConfig, ModelWeights, TowerParams } from '../model/weights';
import type { TrainPool } from './pool';
import { modelRanker } from './validate';

/**
 * Whether the device's pooling (and the on-device steps' targets) should favour the
 * newest interactions, and how strongly: a half-life in positions, chosen after
 * pre-training on validation users by the shared criterion, with the pre-trained tower and
 * the on-device steps. "Off" (a plain mean) competes too and wins ties, so data without a
 * useful order keeps the plain mean. Then, on top of it, a half-life in hours (the
 * pooling only; the steps' targets keep the position weights), none competing and winning
 * ties, so timestamps that carry no session structure change nothing. Pre-training
 * itself keeps the plain mean: recency during pre-training helped the shop but cost
 * MovieLens a tenth of its next-10 NDCG (docs/evaluation.md), and nothing cheap measured
 * on validation users predicted which.
 */
export interface RecencyChoice {
  /** Half-life in positions, or null for the plain mean. */
  halfLife: number | null;
  /**
   * Half-life in hours of time before the newest interaction, on top of the positions,
   * or null for none: a session's interactions come minutes apart and the next session
   * days later, which positions alone cannot tell apart.
   */
  halfLifeHours: number | null;
  chosen: 'fixed' | 'validation';
  validation?: number;
  validationOff?: number;
  trials?: SearchResult['trials'];
  position?: SearchResult['position']['halfLife'];
  /** The hours search on top of the chosen positions: its trials and where its best value sits. */
  hours?: { validationWithout: number; trials: SearchResult['trials']; position: SearchResult['position']['hours'] };
}

/** Geometric steps in positions; the search extends the axis until the best value is interior. */
const HALF_LIFE_AXIS = { values: [2, 4, 8], extend: 'log', min: 0.25, max: 256, start: 4 } as const;
/** Geometric steps in hours, from a minute to a year. */
export const HOURS_AXIS = { values: [1, 4, 16], extend: 'log', min: 1 / 60, max: 24 * 365, start: 4 } as const;

export function withRecency(pooling: PoolingConfig, halfLife: number | null, halfLifeHours: number | null = null): PoolingConfig {
  return { ...pooling, halfLifeHours, halfLifePositions: halfLife };
}

export async function chooseRecency(
  choose: { positions: boolean; hours: boolean },
  criterion: ValidationCriterion | null,
  weights: ModelWeights,
  config: ModelConfig,
  tower: TowerParams,
  inner: InnerLoopConfig,
  pool?: TrainPool | null,
): Promise<RecencyChoice> {
  const fixed: RecencyChoice = { halfLife: config.pooling.halfLifePositions, halfLifeHours: config.pooling.halfLifeHours, chosen: 'fixed' };
  // A half-life fixed for pre-training (--recency-half-life) is kept as it is.
  if (!choose.positions || !criterion || config.pooling.halfLifePositions !== null || config.pooling.halfLifeHours !== null) return fixed;
  const score = (halfLife: number | null, hours: number | null = null) =>
    criterion.score(modelRanker(weights, { ...config, pooling: withRecency(config.pooling, halfLife, hours) }, tower, inner, pool));
  const off = await score(null);
  const res = await searchGrid({ halfLife: HALF_LIFE_AXIS }, (p) => score(p.halfLife));
  const better = res.score > off;
  const halfLife = better ? res.best.halfLife : null;
  const validation = better ? res.score : off;
  const choice: RecencyChoice = { halfLife, halfLifeHours: null, chosen: 'validation', validation, validationOff: off, trials: res.trials, position: res.position.halfLife };
  if (!choose.hours) return choice;
  // Time on top of the chosen positions; none competes and wins ties.
  const timed = await searchGrid({ hours: HOURS_AXIS }, (p) => score(halfLife, p.hours));
  choice.hours = { validationWithout: validation, trials: timed.trials, position: timed.position.hours };
  if (timed.score > validation) {
    choice.halfLifeHours = timed.best.hours;
    choice.validation = timed.score;
  }
  return choice;
}
