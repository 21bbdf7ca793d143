/**
 * Validation of every event, once, where it enters the Worker (WorkerRuntime.track): the
 * Worker owns IndexedDB and must not trust the page, and the page client does not check
 * again (its error arrives as the same typed 'invalid-event' rejection). A batch is
 * checked as a whole first, so one bad event rejects the batch and nothing is written.
 * A GA4 event name as `type` (view_item, add_to_cart, purchase) becomes its short name here.
 */
import { DEV } from '../dev';
import * as v from 'valibot';
import { GA4_EVENT_TYPES, ga4EventType, type Ga4EventName } from '../data/ga4';
import { EVENT_TYPES, type EventType } from '../data/types';
import { LocalrecError } from '../errors';
import type { TrackEvent } from './types';

/** Far enough back to catch seconds-for-milliseconds mistakes (2000-01-01), and no later than a day ahead. */
const MIN_TS = 946_684_800_000;
const FUTURE_SLACK_MS = 86_400_000;

const ItemInfoSchema = v.strictObject({
  title: v.pipe(v.string(), v.maxLength(500)),
  categories: v.pipe(v.array(v.pipe(v.string(), v.maxLength(200))), v.maxLength(50)),
  brand: v.optional(v.pipe(v.string(), v.maxLength(200))),
  price: v.optional(v.pipe(v.number(), v.finite(), v.minValue(0))),
});

const TrackEventSchema = v.strictObject({
  item: v.pipe(v.string(), v.minLength(1), v.maxLength(256)),
  type: v.pipe(
    v.picklist([...EVENT_TYPES, ...(Object.keys(GA4_EVENT_TYPES) as Ga4EventName[])]),
    v.transform((t): EventType => ga4EventType(t) ?? (t as EventType)),
  ),
  ts: v.optional(v.pipe(v.number(), v.finite())),
  rating: v.optional(v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(10))),
  itemInfo: v.optional(ItemInfoSchema),
});

/** A validated event with its timestamp filled in and its type a short name. */
export type ValidEvent = Omit<TrackEvent, 'ts' | 'type'> & { type: EventType; ts: number };

/** Throws `invalid-event` (with the batch position and field) for the first bad event. */
export function validateEvents(input: unknown, now = Date.now()): ValidEvent[] {
  if (!Array.isArray(input)) throw new LocalrecError('invalid-event', 'events must be an array of { item, type, ts? }');
  return input.map((raw, index) => {
    const r = v.safeParse(TrackEventSchema, raw);
    if (!r.success) {
      const issue = r.issues[0];
      const field = issue.path?.map((p) => String(p.key)).join('.') || '(event)';
      throw new LocalrecError('invalid-event', `event ${index} is invalid at "${field}": ${issue.message}`, { index, field });
    }
    const e = r.output;
    if (e.rating !== undefined && e.type !== 'rating') {
      throw new LocalrecError('invalid-event', `event ${index} has a rating but type "${e.type}"`, { index, field: 'rating' });
    }
    const ts = e.ts ?? now;
    if (ts < MIN_TS || ts > now + FUTURE_SLACK_MS) {
      throw new LocalrecError('invalid-event', `event ${index} has timestamp ${ts}`, { index, field: 'ts' }, DEV ? 'expected milliseconds since the epoch (Date.now()), not seconds, and not more than a day ahead' : undefined);
    }
    return { ...e, ts } as ValidEvent;
  });
}
