/**
 * Opt-in GA4 tracking for the script tag (`dataLayer: true` in the init options, or the
 * `data-localrec-datalayer` attribute): the shop's existing GA4 ecommerce pushes become
 * localrec events, so a shop that already tags GA4 needs no new tagging. Pushes made
 * before the loader arrived are replayed once (main-datalayer.ts). Both forms are read:
 * GTM's `dataLayer.push({ event: 'view_item', ecommerce: { items: [{ item_id }] } })` and
 * gtag's `gtag('event', 'view_item', { items: [{ item_id }] })`.
 */
import { gtagArgs, watchDataLayer, type DataLayerHost } from '../browser/main-datalayer';
import type { TrackEvent } from '../browser/types';
import { ga4EventType, ga4ItemIds } from '../data/ga4';

/** The localrec events in one dataLayer entry (none for anything but the GA4 item events). */
export function ga4TrackEvents(entry: unknown): TrackEvent[] {
  let name: unknown;
  let items: unknown;
  const args = gtagArgs(entry);
  if (args) {
    if (args[0] !== 'event') return [];
    name = args[1];
    items = (args[2] as { items?: unknown } | null | undefined)?.items;
  } else if (typeof entry === 'object' && entry !== null) {
    const e = entry as { event?: unknown; ecommerce?: { items?: unknown } | null };
    name = e.event;
    items = e.ecommerce?.items;
  }
  const type = ga4EventType(name);
  return type ? ga4ItemIds(items).map((item) => ({ item, type })) : [];
}

export function trackDataLayer(host: DataLayerHost, track: (events: TrackEvent[]) => void): () => void {
  return watchDataLayer(host, (entry) => {
    const events = ga4TrackEvents(entry);
    if (events.length > 0) track(events);
  });
}
