import { searchGrid, type SearchResult } from '../eval/grid-search';
import type { ValidationCriterion } from '../eval/validation';
import type { InnerLoopConfig } from '../model/manifest';
import type { ModelConfig, ModelWeights, TowerParams } from '../model/weights';
import type { TrainPool } from './pool';
import { modelRanker } from './validate';

/**
 * How far the shipped ranking leans on the item bias (≈ log-popularity):
 * score(i) = u·E_i + β·b_i. Pre-training fits b for next-item prediction; the full-query
 * view rewards popular items more than that, the next-10 view less, so β is chosen like
 * every other selection, on validation users by the shared criterion (0 = choose). The
 * inner loop leaves the bias out by default, so β changes ranking only, not adaptation.
 */
export interface BiasScaleChoice {
  value: number;
  chosen: 'fixed' | 'validation';
  validation?: number;
  trials?: SearchResult['trials'];
  position?: SearchResult['position']['beta'];
}

/** Geometric steps around 1; the search extends the axis until the best value is interior. */
const BETA_AXIS = { values: [0.5, 1, 2], extend: 'log', min: 1 / 64, max: 64, start: 1 } as const;

export function scaleBias(weights: ModelWeights, beta: number): ModelWeights {
  return beta === 1 ? weights : { ...weights, itemBias: Float32Array.from(weights.itemBias, (b) => b * beta) };
}

export async function chooseBiasScale(
  requested: number,
  criterion: ValidationCriterion | null,
  weights: ModelWeights,
  config: ModelConfig,
  tower: TowerParams,
  inner: InnerLoopConfig,
  pool?: TrainPool | null,
): Promise<BiasScaleChoice> {
  if (requested > 0 || !criterion) return { value: requested > 0 ? requested : 1, chosen: 'fixed' };
  const res = await searchGrid({ beta: BETA_AXIS }, (p) => criterion.score(modelRanker(scaleBias(weights, p.beta), config, tower, inner, pool)));
  return { value: res.best.beta, chosen: 'validation', validation: res.score, trials: res.trials, position: res.position.beta };
}
