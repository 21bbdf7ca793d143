/** Ranking and explanation text over full-catalogue scores; plain JS, no tfjs. */
import type { ItemMeta } from '../data/types';
import { LocalrecError } from '../errors';
import type { ExplainReason, Recommendation, RecommendOptions, StoredEvent } from './types';

export interface RankFilters {
  n: number;
  exclude: Set<number>;
  /** Allowed categories (lower-cased), or null for all. */
  categories: Set<string> | null;
}

export function rankFilters(opts: RecommendOptions, events: readonly StoredEvent[], index: ReadonlyMap<string, number>): RankFilters {
  const n = opts.n ?? 10;
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new LocalrecError('invalid-argument', `n must be an integer from 1 to 1000, got ${n}`);
  if (opts.categories !== undefined && (!Array.isArray(opts.categories) || opts.categories.some((c) => typeof c !== 'string'))) {
    throw new LocalrecError('invalid-argument', 'categories must be an array of strings');
  }
  const excludeSeen = opts.excludeSeen ?? true;
  const excludePurchased = opts.excludePurchased ?? true;
  const exclude = new Set<number>();
  for (const e of events) {
    const i = index.get(e.item);
    if (i === undefined) continue;
    if (excludeSeen || (excludePurchased && e.type === 'purchase')) exclude.add(i);
  }
  return { n, exclude, categories: opts.categories ? new Set(opts.categories.map((c) => c.toLowerCase())) : null };
}

/** The n best items by score (ties: lower index first) that pass the filters; one pass, O(items · log n). */
export function rankRecommendations(scores: Float32Array, items: readonly ItemMeta[], f: RankFilters): Recommendation[] {
  // A small sorted buffer beats sorting the whole catalogue for n ≪ items.
  const best: number[] = [];
  for (let i = 0; i < items.length; i++) {
    if (f.exclude.has(i)) continue;
    const s = scores[i];
    if (best.length === f.n && !(s > scores[best[best.length - 1]])) continue;
    if (f.categories && !items[i].categories.some((c) => f.categories!.has(c.toLowerCase()))) continue;
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (scores[best[mid]] >= s) lo = mid + 1;
      else hi = mid;
    }
    best.splice(lo, 0, i);
    if (best.length > f.n) best.pop();
  }
  return best.map((i, r) => ({ id: items[i].id, title: items[i].title, categories: items[i].categories, score: scores[i], rank: r + 1 }));
}

const VERBS = { view: 'viewed', cart: 'added to your cart', purchase: 'bought', rating: 'rated' } as const;

/** "Because you viewed A and B, and bought C" (reasons grouped by event type, strongest first). */
export function explanationText(reasons: readonly ExplainReason[]): string {
  if (reasons.length === 0) return '';
  const groups = new Map<ExplainReason['type'], string[]>();
  for (const r of reasons) {
    const titles = groups.get(r.type) ?? [];
    if (!titles.includes(r.title)) titles.push(r.title);
    groups.set(r.type, titles);
  }
  const list = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
  const parts = [...groups].map(([type, titles]) =>
    type === 'cart' ? `added ${list(titles)} to your cart` : `${VERBS[type]} ${list(titles)}`,
  );
  return `Because you ${parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')}, and ${parts[parts.length - 1]}`}`;
}
