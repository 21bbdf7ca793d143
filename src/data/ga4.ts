/**
 * The GA4 vocabulary localrec understands: the recommended ecommerce events that say a
 * shopper was interested in an item, mapped to localrec's event types. Shared by file
 * ingestion (GA4 BigQuery exports), the script tag's dataLayer listener and track() (both
 * its `{ event, items }` form and a GA4 name as an event's `type`). Every other event name
 * (session_start, page_view, view_item_list impressions, …) is someone else's event:
 * ingestion skips and counts it.
 */
import { GA4_NOT_SET, idOf, MAX_ITEM_ID_LENGTH } from './ids';
import type { EventType } from './types';

export const GA4_EVENT_TYPES = {
  view_item: 'view',
  // A click on a product in a list: the shopper chose that item, as strong as viewing it.
  select_item: 'view',
  add_to_cart: 'cart',
  // Checkout starts with the cart's items: intent as strong as adding them.
  begin_checkout: 'cart',
  purchase: 'purchase',
} as const satisfies Record<string, EventType>;
export type Ga4EventName = keyof typeof GA4_EVENT_TYPES;


export function ga4EventType(name: unknown): EventType | undefined {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(GA4_EVENT_TYPES, name) ? GA4_EVENT_TYPES[name as Ga4EventName] : undefined;
}

/** A GA4 value, or undefined when it is absent: null, empty, or '(not set)'. */
export function ga4Value(v: unknown): unknown {
  return v === null || v === undefined || v === '' || v === GA4_NOT_SET ? undefined : v;
}

/** `item_id` of one GA4 `items` entry by the id rule (src/data/ids.ts); '(not set)' is no id. */
export function ga4ItemId(entry: unknown): string | undefined {
  const raw = ga4Value((entry as { item_id?: unknown } | null)?.item_id);
  return raw === undefined ? undefined : idOf(raw, MAX_ITEM_ID_LENGTH);
}

/** `item_id` of each entry of a GA4 `items` array that has a valid one. */
export function ga4ItemIds(items: unknown): string[] {
  if (!Array.isArray(items)) return [];
  const ids: string[] = [];
  for (const it of items) {
    const id = ga4ItemId(it);
    if (id !== undefined) ids.push(id);
  }
  return ids;
}
