import type { EventType, Interaction } from './types';

const STRENGTH: Record<Exclude<EventType, 'rating'>, number> = { view: 1, cart: 2, purchase: 3 };

/**
 * One interaction per (user, item) pair, as the evaluation protocol asks.
 *
 * - The kept record is the pair's earliest one (its `ts`; ties keep the first in input order),
 *   because the cold-start split orders by first contact with an item.
 * - Its `type` is upgraded to the strongest implicit type seen for the pair
 *   (purchase > cart > view), so a later purchase is not lost as a mere view.
 * - A rating stays a rating: if the earliest record is a rating, it keeps type and value;
 *   ratings never upgrade or downgrade view/cart/purchase records.
 *
 * Returns new objects (the input is not mutated), sorted by (user, ts, item).
 */
export function dedupeInteractions(list: readonly Interaction[]): Interaction[] {
  const byPair = new Map<string, { first: Interaction; strongest: number }>();
  for (const x of list) {
    const key = `${x.user}\u0000${x.item}`;
    const strength = x.type === 'rating' ? 0 : STRENGTH[x.type];
    const cur = byPair.get(key);
    if (cur === undefined) {
      byPair.set(key, { first: x, strongest: strength });
      continue;
    }
    if (x.ts < cur.first.ts) cur.first = x;
    if (strength > cur.strongest) cur.strongest = strength;
  }

  const out: Interaction[] = [];
  for (const { first, strongest } of byPair.values()) {
    const kept: Interaction = { ...first };
    if (kept.type !== 'rating') kept.type = strongestType(strongest);
    out.push(kept);
  }
  return out.sort(compareUserTsItem);
}

function strongestType(strength: number): EventType {
  return strength >= 3 ? 'purchase' : strength === 2 ? 'cart' : 'view';
}

/** Code-unit string order (not localeCompare) so every machine sorts identically. */
export function compareUserTsItem(a: Interaction, b: Interaction): number {
  if (a.user !== b.user) return a.user < b.user ? -1 : 1;
  if (a.ts !== b.ts) return a.ts - b.ts;
  if (a.item !== b.item) return a.item < b.item ? -1 : 1;
  return 0;
}
