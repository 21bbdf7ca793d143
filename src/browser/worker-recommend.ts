/** Ranking and explanation text over full-catalogue scores; plain JS, no tfjs. */
import type { ItemMeta } from '../data/types';
import type { ContextReason, ExplainReason, Recommendation } from './types';

/** The n best allowed items by score (ties: lower index first); one pass, O(items · log n). */
export function rankRecommendations(scores: Float32Array, items: readonly ItemMeta[], allowed: Uint8Array, n: number): Recommendation[] {
  // A small sorted buffer beats sorting the whole catalogue for n ≪ items.
  const best: number[] = [];
  for (let i = 0; i < items.length; i++) {
    if (!allowed[i]) continue;
    const s = scores[i];
    if (best.length === n && !(s > scores[best[best.length - 1]])) continue;
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (scores[best[mid]] >= s) lo = mid + 1;
      else hi = mid;
    }
    best.splice(lo, 0, i);
    if (best.length > n) best.pop();
  }
  return best.map((i, r) => recommendation(items[i], scores[i], r + 1));
}

/** One list entry: the display fields items.json has, and nothing the catalogue lacks. */
function recommendation(it: ItemMeta, score: number, rank: number): Recommendation {
  const out: Recommendation = { id: it.id, title: it.title, categories: it.categories, score, rank };
  if (it.brand !== undefined) out.brand = it.brand;
  if (it.price !== undefined) out.price = it.price;
  if (it.image !== undefined) out.image = it.image;
  if (it.url !== undefined) out.url = it.url;
  return out;
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

/** The context part of a related-mode explanation: "Similar to X" (shared category) or "Often viewed together with X". */
export function contextText(context: ContextReason | null): string {
  if (!context || !(context.similarity > 0)) return '';
  return context.relation === 'similar' ? `Similar to ${context.title}` : `Often viewed together with ${context.title}`;
}
