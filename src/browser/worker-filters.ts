/**
 * Which items one recommend() call may return, as a mask over the catalogue: the
 * shopper's seen/purchased items, the shop's include/exclude lists, categories, price
 * range, sold-out items and the context item itself. Separate from scoring, so any
 * scoring path (tfjs or plain JS) ranks through the same mask. Plain JS, no tfjs.
 */
import type { ItemMeta } from '../data/types';
import type { RecommendOptions, StoredEvent } from './types';

export interface AllowedItems {
  n: number;
  /** allowed[i] = 1 when catalogue row i may be recommended. */
  allowed: Uint8Array;
  /** The context item's row, or null (none asked, or unknown). */
  context: number | null;
  /** Distinct ids in context/include/exclude that the catalogue does not know. */
  unknownIds: number;
}

export interface AllowedSource {
  items: readonly ItemMeta[];
  index: ReadonlyMap<string, number>;
  /** The shopper's stored events (none without consent). */
  events: readonly StoredEvent[];
  /** Ids the shop marked unavailable. */
  unavailable: ReadonlySet<string>;
}

/** Options must already be validated (schemas.ts). */
export function allowedItems(opts: RecommendOptions, src: AllowedSource): AllowedItems {
  const { items, index } = src;
  const allowed = new Uint8Array(items.length);
  const unknown = new Set<string>();
  const rows = (ids: readonly string[]) => {
    const out: number[] = [];
    for (const id of ids) {
      const i = index.get(id);
      if (i === undefined) unknown.add(id);
      else out.push(i);
    }
    return out;
  };

  if (opts.include) for (const i of rows(opts.include)) allowed[i] = 1;
  else allowed.fill(1);

  const categories = opts.categories ? new Set(opts.categories.map((c) => c.toLowerCase())) : null;
  const { min, max } = opts.price ?? {};
  const priced = opts.price !== undefined;
  if (categories || priced) {
    for (let i = 0; i < items.length; i++) {
      if (!allowed[i]) continue;
      const it = items[i];
      if (categories && !it.categories.some((c) => categories.has(c.toLowerCase()))) allowed[i] = 0;
      else if (priced && (typeof it.price !== 'number' || (min !== undefined && it.price < min) || (max !== undefined && it.price > max))) allowed[i] = 0;
    }
  }

  if (opts.exclude) for (const i of rows(opts.exclude)) allowed[i] = 0;
  for (const id of src.unavailable) {
    const i = index.get(id);
    if (i !== undefined) allowed[i] = 0;
  }
  const excludeSeen = opts.excludeSeen ?? true;
  const excludePurchased = opts.excludePurchased ?? true;
  for (const e of src.events) {
    const i = index.get(e.item);
    if (i !== undefined && (excludeSeen || (excludePurchased && e.type === 'purchase'))) allowed[i] = 0;
  }

  let context: number | null = null;
  if (opts.context !== undefined) {
    const [i] = rows([opts.context]);
    if (i !== undefined) {
      context = i;
      allowed[i] = 0;
    }
  }
  return { n: opts.n ?? 10, allowed, context, unknownIds: unknown.size };
}
