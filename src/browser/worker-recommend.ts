/** Ranking and explanations over full-catalogue scores; plain JS, no tfjs. */
import type { ItemMeta } from '../data/types';
import type { Catalogue } from '../model/catalogue';
import { attributeScore } from '../model/explain';
import type { PoolingConfig } from '../model/manifest';
import type { IndexedEvent } from '../model/pooling';
import type { ItemSimilarity } from '../model/similarity';
import type { TowerParams } from '../model/weights';
import { safeUrl } from './safe-url';
import type { ContextReason, ExplainReason, Explanation, Recommendation, StoredEvent } from './types';

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
  // Only URLs a page may navigate to or load (safe-url.ts): items.json is not trusted.
  const image = safeUrl(it.image, true);
  const url = safeUrl(it.url);
  if (image !== null) out.image = image;
  if (url !== null) out.url = url;
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

/** What explaining an item reads: the shopper's pooled history (and the stored events it came from, same order) and the tower that scored it. */
export interface ExplainInput {
  catalogue: Catalogue;
  pooling: PoolingConfig;
  tower: TowerParams;
  history: readonly IndexedEvent[];
  used: readonly StoredEvent[];
  /** Item similarity, needed only with a context item. */
  similarity: ItemSimilarity | null;
}

/**
 * One item's explanation: its strongest history reasons (one per item and event type: three
 * views of the same shoe are one reason) and, with a context item, how it relates to it.
 * `score` is the item's score in the list it was explained for; without one, the attribution's own.
 */
export function explainTarget(input: ExplainInput, target: number, n: number, context: number | null, score?: number): Explanation {
  const { catalogue, used } = input;
  const a = attributeScore(catalogue.weights, input.tower, input.history, input.pooling, target);
  const grouped = new Map<string, ExplainReason>();
  used.forEach((e, j) => {
    const key = `${e.type}\u0000${e.item}`;
    const prev = grouped.get(key);
    if (prev) {
      prev.contribution += a.contributions[j];
      prev.ts = Math.max(prev.ts, e.ts);
    } else grouped.set(key, { item: e.item, title: catalogue.items[catalogue.index.get(e.item)!].title, type: e.type, ts: e.ts, contribution: a.contributions[j] });
  });
  const reasons = [...grouped.values()].filter((r) => r.contribution > 0).sort((x, y) => y.contribution - x.contribution).slice(0, n);
  const meta = catalogue.items[target];
  const item = meta.id;
  if (context === null || !input.similarity) return { item, title: meta.title, score: score ?? a.score, reasons, context: null, text: explanationText(reasons) };
  const ctxMeta = catalogue.items[context];
  const shared = ctxMeta.categories.some((c) => meta.categories.includes(c));
  const ctx: ContextReason = { item: ctxMeta.id, title: ctxMeta.title, similarity: input.similarity.pair(context, target), relation: shared ? 'similar' : 'together' };
  const text = [contextText(ctx), explanationText(reasons)].filter(Boolean).join('. ');
  return { item, title: meta.title, score: score ?? a.score, reasons, context: ctx, text };
}
