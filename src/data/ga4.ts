/**
 * The GA4 vocabulary localrec understands: the recommended ecommerce events that say a
 * shopper was interested in an item, mapped to localrec's event types. Shared by file
 * ingestion (GA4 BigQuery-export style rows), the script tag's dataLayer listener and
 * track() (both its `{ event, items }` form and a GA4 name as an event's `type`).
 */
import type { EventType } from './types';

export const GA4_EVENT_TYPES = {
  view_item: 'view',
  add_to_cart: 'cart',
  purchase: 'purchase',
} as const satisfies Record<string, EventType>;
export type Ga4EventName = keyof typeof GA4_EVENT_TYPES;

export function ga4EventType(name: unknown): EventType | undefined {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(GA4_EVENT_TYPES, name) ? GA4_EVENT_TYPES[name as Ga4EventName] : undefined;
}

/** `item_id` of each entry of a GA4 `items` array (strings, or integers as their decimal text). */
export function ga4ItemIds(items: unknown): string[] {
  if (!Array.isArray(items)) return [];
  const ids: string[] = [];
  for (const it of items) {
    const id = (it as { item_id?: unknown } | null)?.item_id;
    if (typeof id === 'string' && id.trim() !== '') ids.push(id.trim());
    else if (typeof id === 'number' && Number.isSafeInteger(id)) ids.push(String(id));
  }
  return ids;
}
