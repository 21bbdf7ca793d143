import type { SupportQuery } from '../data/split';
import { ndcgAt } from './metrics';

/**
 * Which query a validation score reads: 'full' = every later interaction; 'both' = the
 * mean of the full query and the next SHORT_HORIZON interactions, so a snapshot that only
 * ranks popular items (good on a long, drifting future, bad on what comes next) is not
 * preferred.
 */
export const VALIDATION_VIEWS = ['full', 'both'] as const;
export type ValidationView = (typeof VALIDATION_VIEWS)[number];

/**
 * The one validation criterion of training (early stopping, selection) and of the
 * evaluation's tuning: mean NDCG@10 over users of each user's ranked list (support
 * already excluded) against their query. 0 when there are no users.
 */
export function meanValidationNdcg(cuts: readonly SupportQuery[], lists: readonly ArrayLike<number>[], view: ValidationView = 'full'): number {
  if (!cuts.length) return 0;
  let sum = 0;
  cuts.forEach((c, u) => {
    const full = ndcgAt(lists[u], new Set(c.query.map((e) => e.index)), 10);
    sum += view === 'full' ? full : (full + ndcgAt(lists[u], new Set(c.shortQuery.map((e) => e.index)), 10)) / 2;
  });
  return sum / cuts.length;
}
