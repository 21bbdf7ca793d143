/**
 * The public API's argument schemas (valibot), one definition used on both sides: the page
 * client checks arguments before posting (so `setConsent('false')` or `recommend({ n: '5' })`
 * is an `invalid-argument` at once, never a silent truthy value), and the Worker checks the
 * same schemas again where requests enter it, because it owns IndexedDB and must not trust
 * the page. Events: a batch is checked as a whole first, so one bad event rejects the batch
 * and nothing is written; a GA4 event name as `type` (view_item, add_to_cart, purchase)
 * becomes its short name. No tfjs here (the page client imports this file).
 */
import { DEV } from '../dev';
import * as v from 'valibot';
import { GA4_EVENT_TYPES, ga4EventType, type Ga4EventName } from '../data/ga4';
import { idRule, MAX_ITEM_ID_LENGTH, normaliseId } from '../data/ids';
import { ITEM_META_LIMITS as L } from '../data/item-meta';
import { MAX_RATING, MIN_RATING } from '../data/ratings';
import { inTimestampWindow } from '../data/timestamps';
import { EVENT_TYPES, type EventType } from '../data/types';
import { LocalrecError } from '../errors';
import { MODEL_BOUNDS } from '../model/bounds';
import { BACKEND_NAMES, CONSENT_STATES, type ConsentState, type ExplainOptions, type PersonaliseOptions, type RecommendOptions, type StoredEvent, type TrackEvent } from './types';

const ItemInfoSchema = v.strictObject({
  title: v.pipe(v.string(), v.maxLength(L.title)),
  categories: v.pipe(v.array(v.pipe(v.string(), v.maxLength(L.name))), v.maxLength(L.categories)),
  brand: v.optional(v.pipe(v.string(), v.maxLength(L.name))),
  price: v.optional(v.pipe(v.number(), v.finite(), v.minValue(0))),
});

/** An item id by the trainer's rule (src/data/ids.ts): trimmed, then 1–256 characters without control characters. */
export const ItemIdSchema = v.pipe(
  v.string(),
  v.trim(),
  v.check((id) => normaliseId(id) === id, DEV ? `expected ${idRule(MAX_ITEM_ID_LENGTH)}` : undefined),
);

const TrackEventSchema = v.strictObject({
  item: ItemIdSchema,
  type: v.pipe(
    v.picklist([...EVENT_TYPES, ...(Object.keys(GA4_EVENT_TYPES) as Ga4EventName[])]),
    v.transform((t): EventType => ga4EventType(t) ?? (t as EventType)),
  ),
  ts: v.optional(v.pipe(v.number(), v.finite())),
  rating: v.optional(v.pipe(v.number(), v.finite(), v.minValue(MIN_RATING), v.maxValue(MAX_RATING))),
  itemInfo: v.optional(ItemInfoSchema),
});

/**
 * A stored interaction as the store writes it (worker-store.ts toStored: a validated event
 * plus its key). Every record read back is checked against this: another schema version,
 * a browser extension or a damaged disk can leave anything there, and one bad record must
 * not stop start-up (a number as `itemInfo.title` once made every later visit fail).
 */
const StoredEventSchema = v.strictObject({
  seq: v.pipe(v.number(), v.integer()),
  item: ItemIdSchema,
  type: v.picklist(EVENT_TYPES),
  ts: v.pipe(v.number(), v.finite()),
  rating: TrackEventSchema.entries.rating,
  itemInfo: TrackEventSchema.entries.itemInfo,
});

/** Stored personal weights as the store writes them (PersonalWeightsRecord). */
const StoredWeightsSchema = v.object({
  key: v.literal('current'),
  modelName: v.string(),
  modelVersion: v.pipe(v.number(), v.integer()),
  steps: v.pipe(v.number(), v.finite()),
  lr: v.pipe(v.number(), v.finite()),
  events: v.pipe(v.number(), v.finite()),
  trainedAt: v.pipe(v.number(), v.finite()),
  d: v.pipe(v.number(), v.integer(), v.minValue(1)),
  hidden: v.pipe(v.number(), v.integer(), v.minValue(1)),
  params: v.instance(Float32Array),
  ms: v.pipe(v.number(), v.finite()),
});

/** Whether a record read from the events store has the shape the store writes. */
export function isStoredEvent(x: unknown): x is StoredEvent {
  const r = v.safeParse(StoredEventSchema, x);
  return r.success && (r.output.rating === undefined || r.output.type === 'rating');
}

/** Whether a record read from the personal store has the shape the store writes (its fit to the model is weightsFit's). */
export function isStoredWeights(x: unknown): boolean {
  return v.safeParse(StoredWeightsSchema, x).success;
}

/** A validated event with its timestamp filled in and its type a short name. */
export type ValidEvent = Omit<TrackEvent, 'ts' | 'type'> & { type: EventType; ts: number };

/** The most events one track() call takes: a page's batch is a handful, and a huge one would evict the stored history. */
export const MAX_TRACK_BATCH = 1000;

/** Throws `invalid-event` (with the batch position and field) for the first bad event. */
export function validateEvents(input: unknown, now = Date.now()): ValidEvent[] {
  if (!Array.isArray(input)) throw new LocalrecError('invalid-event', 'events must be an array of { item, type, ts? }');
  if (input.length > MAX_TRACK_BATCH) {
    throw new LocalrecError('invalid-event', `a batch of ${input.length} events is more than track() takes at once (${MAX_TRACK_BATCH})`, { events: input.length, max: MAX_TRACK_BATCH });
  }
  // Array.from: a sparse array's holes become undefined (and are refused) instead of being skipped by map.
  return Array.from(input as unknown[]).map((raw, index) => {
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
    // The range catches a page's unit mistakes; without a ts the device's own clock is used as it is,
    // even set back to 1970 (a flat battery), or a shopper on such a device could never be tracked.
    const ts = e.ts ?? now;
    if (e.ts !== undefined && !inTimestampWindow(ts, now)) {
      throw new LocalrecError('invalid-event', `event ${index} has timestamp ${ts}`, { index, field: 'ts' }, DEV ? 'expected milliseconds since the epoch (Date.now()), not seconds, and not more than a day ahead' : undefined);
    }
    return { ...e, ts } as ValidEvent;
  });
}

/** An options argument: a plain object with only the listed keys (valibot's object schemas accept arrays). */
const options = <E extends v.ObjectEntries>(entries: E) =>
  v.pipe(
    v.custom<Record<string, unknown>>((x) => typeof x === 'object' && x !== null && !Array.isArray(x), 'expected an options object'),
    v.strictObject(entries),
  );

const int = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

export const ConsentSchema = v.picklist(CONSENT_STATES);

/** Id lists a shop passes per call (include/exclude, availability updates). */
const ItemIdListSchema = v.pipe(v.array(ItemIdSchema), v.maxLength(100_000));

const PriceSchema = v.pipe(v.number(), v.finite(), v.minValue(0));

const PriceRangeSchema = v.pipe(
  options({ min: v.optional(PriceSchema), max: v.optional(PriceSchema) }),
  v.check((r) => r.min === undefined || r.max === undefined || r.min <= r.max, 'min must not exceed max'),
);

export const RecommendOptionsSchema = options({
  n: v.optional(int(1, 1000)),
  context: v.optional(ItemIdSchema),
  excludeSeen: v.optional(v.boolean()),
  excludePurchased: v.optional(v.boolean()),
  categories: v.optional(v.pipe(v.array(v.pipe(v.string(), v.maxLength(200))), v.maxLength(100))),
  include: v.optional(ItemIdListSchema),
  exclude: v.optional(ItemIdListSchema),
  price: v.optional(PriceRangeSchema),
  // v.custom, not v.union: the page client already bundles custom, and union would add to it.
  reasons: v.optional(v.custom<boolean | number>((x) => typeof x === 'boolean' || (Number.isInteger(x) && (x as number) >= 1 && (x as number) <= 50), 'expected a boolean or an integer from 1 to 50')),
});

export const ExplainOptionsSchema = options({ n: v.optional(int(1, 50)), context: v.optional(ItemIdSchema) });

export const AvailabilitySchema = v.strictObject({ ids: ItemIdListSchema, available: v.boolean() });

export const PersonaliseOptionsSchema = options({ steps: v.optional(int(0, MODEL_BOUNDS.maxInnerSteps)) });

/** Parses one argument or throws `invalid-argument` with the argument and field that failed. */
export function parseArgument<S extends v.GenericSchema>(schema: S, input: unknown, argument: string): v.InferOutput<S> {
  const r = v.safeParse(schema, input);
  if (r.success) return r.output;
  const issue = r.issues[0];
  const field = issue.path?.map((p) => String(p.key)).join('.') || '';
  throw new LocalrecError('invalid-argument', `${argument}${field ? `.${field}` : ''} is invalid: ${issue.message}`, { argument, field });
}

export const checkConsentArg = (state: unknown): ConsentState => parseArgument(ConsentSchema, state, 'consent');
export const checkRecommendArg = (opts: unknown): RecommendOptions => parseArgument(RecommendOptionsSchema, opts, 'recommend options');
export const checkExplainArgs = (item: unknown, opts: unknown): { item: string; options: ExplainOptions } => ({
  item: parseArgument(ItemIdSchema, item, 'item'),
  options: parseArgument(ExplainOptionsSchema, opts, 'explain options'),
});
export const checkAvailabilityArgs = (ids: unknown, available: unknown): { ids: string[]; available: boolean } =>
  parseArgument(AvailabilitySchema, { ids, available }, 'setAvailability');
export const checkPersonaliseArg = (opts: unknown): PersonaliseOptions => parseArgument(PersonaliseOptionsSchema, opts, 'personalise options');

/** setTimeout's limit: browsers read the delay as a 32-bit integer (Infinity becomes 0, so every call would time out at once; larger values wrap). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const UrlLike = v.custom<string | URL>((x) => (typeof x === 'string' && x !== '') || x instanceof URL, 'expected a URL (string or URL)');
const Callback = v.custom<() => unknown>((x) => typeof x === 'function', 'expected a function');

/**
 * createLocalrec's options, checked before any Worker starts (unknown keys are left to
 * TypeScript; what is checked here is what a page could get wrong at runtime; timeouts
 * are checked per method by createLocalrec). Only valibot functions the page client
 * already uses, to keep it small.
 */
const CreateOptionsSchema = v.object({
  model: UrlLike,
  backend: v.optional(v.picklist([...BACKEND_NAMES, 'auto'])),
  storage: v.optional(v.picklist(['indexeddb', 'memory', 'auto'])),
  dbName: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(200))),
  maxEvents: v.optional(int(1, 1_000_000)),
  personaliseDebounceMs: v.optional(int(0, MAX_TIMER_MS)),
  wasmPath: v.optional(UrlLike),
  consent: v.optional(ConsentSchema),
  consentSignals: v.optional(v.boolean()),
  federated: v.optional(v.object({ endpoint: UrlLike, token: v.string() })),
  onEvent: v.optional(Callback),
  createWorker: v.optional(Callback),
});

export const checkCreateOptions = (options: unknown): void => void parseArgument(CreateOptionsSchema, options, 'createLocalrec options');
