/**
 * Item metadata: the one set of limits for what a catalogue entry may carry, applied by
 * the SDK's track() (`itemInfo`), the model format's items.json, and ingestion (which
 * clips an export's values to them, so the trainer never writes a model the SDK refuses).
 * Browser-safe.
 */
import type { ItemMeta } from './types';

export const ITEM_META_LIMITS = {
  /** Characters of a title. */
  title: 500,
  /** Characters of one category, and of a brand. */
  name: 200,
  /** Categories per item. */
  categories: 50,
  /** Characters of an image or page URL. */
  url: 2048,
} as const;

/** What is wrong with one entry's display fields (past its id), or null: the types and limits the SDK hands on. */
export function itemMetaProblem(it: ItemMeta): string | null {
  const L = ITEM_META_LIMITS;
  if (typeof it.title !== 'string' || !Array.isArray(it.categories) || it.categories.some((c) => typeof c !== 'string')) {
    return 'needs a title string and a categories array of strings';
  }
  if (it.title.length > L.title) return `has a title longer than ${L.title} characters`;
  if (it.categories.length > L.categories || it.categories.some((c) => c.length > L.name)) return `has more than ${L.categories} categories or one longer than ${L.name} characters`;
  if (it.brand !== undefined && (typeof it.brand !== 'string' || it.brand.length > L.name)) return `has a brand that is not a string of at most ${L.name} characters`;
  if (it.price !== undefined && !(typeof it.price === 'number' && Number.isFinite(it.price) && it.price >= 0)) return 'has a price that is not a non-negative number';
  for (const key of ['image', 'url'] as const) {
    const u = it[key];
    if (u !== undefined && (typeof u !== 'string' || u.length > L.url)) return `has an ${key} that is not a string of at most ${L.url} characters`;
  }
  return null;
}

/** A display text cut to `max` characters (an export's over-long value is still the item's name, not a reason to drop it). */
export function clipText(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
