import { cutAll, type SupportQuery, type UserSequence } from '../data/split';
import { ndcgAt, topN } from './metrics';

/** The two test views: full = every later interaction; next10 = the next 10 interactions after the support. */
export const VIEWS = ['full', 'next10'] as const;
export type View = (typeof VIEWS)[number];

/**
 * Which query a validation score reads:
 * - 'full': every later interaction;
 * - 'both': the mean of the full query's and the next-10 view's NDCG@10;
 * - 'next10': the next-10 view's NDCG@10 alone (what the shopper does next);
 * - 'relative': the same two views, each divided by what a popularity ranking scores on
 *   them for the same users, then averaged. On data where the full view is dominated by
 *   popular items its raw NDCG is several times the next-10 view's, so 'both' is decided
 *   by the full view; 'relative' weighs the two views equally, whatever the data.
 */
export const VALIDATION_VIEWS = ['full', 'both', 'relative', 'next10'] as const;
export type ValidationView = (typeof VALIDATION_VIEWS)[number];

/** What selects hyper-parameters and early-stopping points, for every method alike. */
export interface Selection {
  ks: readonly number[];
  view: ValidationView;
}

/**
 * Averaging k = 3, 5, 10 made early stopping far less noisy than k = 5 alone
 * (docs/evaluation.md); 'relative' weighs what the shopper does next as much as the
 * whole future.
 */
export const DEFAULT_SELECTION: Selection = { ks: [3, 5, 10], view: 'relative' };

/** What each view counts as relevant for one cut: every later interaction ('full') or the next 10 ('next10'). */
export function viewTargets(cut: SupportQuery): Record<View, Set<number>> {
  return { full: new Set(cut.query.map((e) => e.index)), next10: new Set(cut.next10Query.map((e) => e.index)) };
}

/** Mean NDCG@10 per view of ranked lists (support already excluded), in `cuts` order. */
export type ViewNdcgs = Record<View, number>;

/** The one NDCG-per-view rule: validation, the evaluation's means and the simulation all read it. */
export function viewNdcgs(cuts: readonly SupportQuery[], lists: readonly ArrayLike<number>[]): ViewNdcgs {
  const sum: ViewNdcgs = { full: 0, next10: 0 };
  cuts.forEach((c, u) => {
    const targets = viewTargets(c);
    for (const view of VIEWS) sum[view] += ndcgAt(lists[u], targets[view], 10);
  });
  const n = Math.max(1, cuts.length);
  return { full: sum.full / n, next10: sum.next10 / n };
}

/** A popularity ranking's lists on `cuts`: the yardstick of the 'relative' view. */
export function popularityLists(cuts: readonly SupportQuery[], itemCounts: ArrayLike<number>): Int32Array[] {
  const scores = Float32Array.from(itemCounts);
  return cuts.map((c) => topN(scores, 10, c.support.map((e) => e.index)));
}

/** Folds the two views into one number; `reference` is the popularity NDCG per view ('relative' only). */
export function combineViews(view: ValidationView, m: ViewNdcgs, reference?: ViewNdcgs): number {
  if (view === 'full') return m.full;
  if (view === 'both') return (m.full + m.next10) / 2;
  if (view === 'next10') return m.next10;
  const ratio = (a: number, b: number | undefined) => (b && b > 0 ? a / b : a);
  return (ratio(m.full, reference?.full) + ratio(m.next10, reference?.next10)) / 2;
}

/** Ranks each cut's support into a top-10 list (support excluded). */
export type RankCuts = (cuts: readonly SupportQuery[], k: number) => Promise<readonly ArrayLike<number>[]>;

/**
 * The one selection criterion of training (early stopping) and of the evaluation's tuning
 * of every method: cold-start validation users cut at each k of `ks` (support = first k
 * interactions), scored by `combineViews`, averaged over the ks. Never sees test users.
 */
export class ValidationCriterion {
  private readonly cutsAtK: Map<number, SupportQuery[]>;
  /** Popularity's NDCG per view at each k: only the 'relative' view reads it. */
  private readonly reference = new Map<number, ViewNdcgs>();

  constructor(
    users: readonly UserSequence[],
    /** Interaction counts per item of the users the method is fitted on. */
    itemCounts: ArrayLike<number>,
    readonly ks: readonly number[],
    readonly view: ValidationView,
  ) {
    this.cutsAtK = new Map(ks.map((k) => [k, cutAll(users, k)]));
    if (view !== 'relative') return;
    for (const [k, cuts] of this.cutsAtK) this.reference.set(k, viewNdcgs(cuts, popularityLists(cuts, itemCounts)));
  }

  async score(rank: RankCuts): Promise<number> {
    let sum = 0;
    let counted = 0;
    for (const [k, cuts] of this.cutsAtK) {
      if (!cuts.length) continue;
      sum += combineViews(this.view, viewNdcgs(cuts, await rank(cuts, k)), this.reference.get(k));
      counted++;
    }
    return counted ? sum / counted : 0;
  }
}
