/**
 * Public data types of the browser SDK, shared by the main thread and the Worker.
 * Types and `as const` tables only: importing this file pulls in no runtime code.
 */
import type { SerialisedError } from '../errors';
import type { Ga4EventName } from '../data/ga4';
import type { EventType, ItemMeta } from '../data/types';
import type { FederatedOutcome, FederatedStatus } from '../federated/client';

export type { EventType, Ga4EventName, ItemMeta, SerialisedError, FederatedOutcome, FederatedStatus };

/** The shopper's consent to personalisation (see main-consent.ts for where it comes from). */
export const CONSENT_STATES = ['granted', 'pending', 'denied'] as const;
export type ConsentState = (typeof CONSENT_STATES)[number];

/**
 * What computes scores: a tfjs backend (in the order they are preferred before measuring)
 * or 'plain', the SDK's own TypeScript loops, which need no tfjs at all.
 */
/** The client's calls, by name: the keys of DEFAULT_TIMEOUTS and of the `timeouts` option. */
export type LocalrecMethod = 'init' | 'track' | 'recommend' | 'explain' | 'personalise' | 'forget' | 'exportData' | 'status' | 'consent' | 'setAvailability';

export const BACKEND_NAMES = ['webgpu', 'webgl', 'wasm', 'cpu', 'plain'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type TfjsBackendName = Exclude<BackendName, 'plain'>;

/**
 * How the backend in use was chosen. 'forced': the `backend` option named it. With
 * `backend: 'auto'`: 'pending' — plain scores while nothing is measured yet (no tfjs is
 * fetched before the first recommendation); once the Worker is idle after it, 'probed' —
 * every candidate measured on this page — or 'remembered' — the choice measured on an
 * earlier visit for this model and device, loaded alone.
 */
export type BackendSource = 'forced' | 'pending' | 'probed' | 'remembered';

/** What the shop tells the SDK about an item the model may not know yet (used for content features). */
export type ItemInfo = Omit<ItemMeta, 'id'>;

/** One shopper interaction as the page reports it. There is no user id: the device is the user. */
export interface TrackEvent {
  item: string;
  /** A short name, or its GA4 name (view_item, select_item, add_to_cart, begin_checkout, purchase; see src/data/ga4.ts). */
  type: EventType | Ga4EventName;
  /** Milliseconds since the epoch; defaults to now. */
  ts?: number;
  /** 0–10, only with `type: 'rating'`. */
  rating?: number;
  /** Metadata of an item the model has never seen, so it can be embedded from its content. */
  itemInfo?: ItemInfo;
}

/**
 * A GA4 ecommerce event as a shop already sends it (`view_item`, `select_item`, `add_to_cart`, `begin_checkout`,
 * `purchase` with `items[].item_id`), accepted by track(): one interaction per item.
 */
export interface Ga4TrackEvent {
  event: Ga4EventName;
  items: { item_id: string | number }[];
  /** Milliseconds since the epoch; defaults to now. */
  ts?: number;
}

/** An interaction as stored on the device. `seq` orders events that share a timestamp. */
export interface StoredEvent {
  seq: number;
  item: string;
  type: EventType;
  ts: number;
  rating?: number;
  itemInfo?: ItemInfo;
}

export interface TrackResult {
  stored: number;
  /** Events dropped to respect the size cap (oldest first). */
  evicted: number;
}

/** A price range in the catalogue's currency; either end may be left open. Items without a price never match a range. */
export interface PriceRange {
  min?: number;
  max?: number;
}

export interface RecommendOptions {
  /** How many items; default 10. */
  n?: number;
  /**
   * "Related to this product": an item id (the product page's). Personalised when the
   * shopper has history, the model's item–item similarity when not; never returns the item
   * itself. An id the model does not know is ignored (counted in `unknownIds`).
   */
  context?: string;
  /** Leave out items the shopper already interacted with; default true. */
  excludeSeen?: boolean;
  /** Leave out purchased items (also when `excludeSeen` is false); default true. */
  excludePurchased?: boolean;
  /** Only items in at least one of these categories. */
  categories?: string[];
  /** Only these ids (unknown ones are ignored and counted in `unknownIds`). */
  include?: string[];
  /** Never these ids (unknown ones are ignored and counted in `unknownIds`). */
  exclude?: string[];
  /** Only items whose price lies in this range (both ends inclusive). */
  price?: PriceRange;
  /**
   * Each item's explanation (`explanation`) from the same scoring pass, as explain() gives it
   * for that list: `true` for up to 3 reasons per item, or the most reasons (1–50).
   */
  reasons?: boolean | number;
}

export interface Recommendation {
  id: string;
  title: string;
  categories: string[];
  score: number;
  /** 1-based position in this list. */
  rank: number;
  /** From items.json, when the catalogue has them. */
  brand?: string;
  price?: number;
  image?: string;
  url?: string;
  /** Why it is in the list; only with `reasons`. */
  explanation?: Explanation;
}

/**
 * What the list is: 'related' (to `context`), 'personal' (from the shopper's history), or
 * 'popular' (no usable history: the shared model's ranking for a new shopper).
 */
export type RecommendMode = 'personal' | 'related' | 'popular';

export interface RecommendResult {
  items: Recommendation[];
  modelVersion: number;
  /** Whether the scores used personal weights (false: the shared meta-initialised tower). */
  personalised: boolean;
  mode: RecommendMode;
  /** Distinct ids in `context`, `include` and `exclude` the model does not know (they were ignored). */
  unknownIds: number;
  ms: number;
}

export interface ExplainOptions {
  /** Most reasons to return; default 3. */
  n?: number;
  /** Explain the item as a recommendation related to this item (see RecommendOptions.context). */
  context?: string;
}

/** One stored interaction that pushed the item's score up (or down, when negative). */
export interface ExplainReason {
  item: string;
  title: string;
  type: EventType;
  ts: number;
  /** This event's additive share of the score (first-order attribution through the user tower). */
  contribution: number;
}

/** How an item relates to the context item of a "related to this product" list. */
export interface ContextReason {
  item: string;
  title: string;
  /** Cosine similarity of the two items in the model's item table, -1 to 1. */
  similarity: number;
  /** 'similar': they share a category; 'together': shoppers meet them together (the model learned it from co-occurrence). */
  relation: 'similar' | 'together';
}

export interface Explanation {
  item: string;
  title: string;
  /** The item's score in the list it was explained for (with `context`, the related-mode score). */
  score: number;
  /** Strongest positive contributions first. */
  reasons: ExplainReason[];
  /** With `context` (a known item): how the item relates to it; otherwise null. */
  context: ContextReason | null;
  /**
   * "Because you viewed …", "Similar to …", "Often viewed together with …" (joined when
   * both apply), or an empty string when nothing explains the score.
   */
  text: string;
}

export interface PersonaliseOptions {
  /** Inner-loop steps; default the model's `inner.steps`. */
  steps?: number;
}

export interface PersonaliseResult {
  steps: number;
  events: number;
  modelVersion: number;
  ms: number;
  /** False when there was nothing to learn from (no usable events). */
  personalised: boolean;
}

export interface PersonalWeightsInfo {
  modelName: string;
  modelVersion: number;
  steps: number;
  lr: number;
  events: number;
  trainedAt: number;
}

export interface ExportedData {
  format: 'localrec-export';
  version: 1;
  exportedAt: string;
  events: StoredEvent[];
  /** Metadata and the values of the personal tower parameters (w1, b1, w2, b2 flattened), or null. */
  personalWeights: (PersonalWeightsInfo & { params: number[] }) | null;
}

/** What setAvailability() did. */
export interface AvailabilityResult {
  /** Distinct known ids now set to the requested state (whether or not they already were). */
  updated: number;
  /** Distinct ids the model does not know (ignored, not stored). */
  unknownIds: number;
}

export interface BackendProbe {
  name: BackendName;
  ok: boolean;
  /** Median probe time in ms (only when ok). */
  ms?: number;
  /** Why the backend was not used. */
  reason?: string;
}

export type StorageMode = 'indexeddb' | 'memory';

/**
 * Why start-up (or a later init) fell back instead of failing: stored state that could
 * not be used never stops createLocalrec; it becomes one of these in `status().warnings`.
 */
export const WARNING_CODES = [
  /** IndexedDB could not be used (e.g. SecurityError: site storage blocked); events live in memory for this page. */
  'storage-fallback',
  /** The stored interactions could not be read; recommendations start without history (nothing was deleted). */
  'events-unreadable',
  /** The stored personal weights could not be read or do not fit; the shared model is used. */
  'personal-weights-unreadable',
  /** Re-personalising for a new model version failed (or its weights could not be written); the shared model is used. */
  'repersonalise-failed',
  /** The stored availability (sold-out items) could not be read; every item counts as available until the next setAvailability(). */
  'availability-unreadable',
  /** Stored records without the shape this SDK writes (damaged, or another schema's) were deleted; the rest are used. */
  'stored-records-dropped',
] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

export interface StatusWarning {
  code: WarningCode;
  message: string;
  /** The error behind it, if there was one. */
  cause: SerialisedError | null;
}

export interface Status {
  ready: boolean;
  /** While not 'granted', nothing is stored and recommendations come from the shared model. */
  consent: ConsentState;
  /**
   * What computes scores ('plain': the SDK's TypeScript loop, no tfjs loaded); the
   * personalisation steps always run in plain TypeScript. initMs: time to pick and
   * initialise it, imports and probes included. With `backend: 'auto'` it starts as
   * plain (`source: 'pending'`) and may change once measured (a `backend` event says so).
   */
  backend: { name: BackendName; forced: boolean; source: BackendSource; probes: BackendProbe[]; initMs: number } | null;
  model: {
    name: string;
    version: number;
    items: number;
    source: 'network' | 'cache';
    loadMs: number;
    /** The last failed download, when a cached model is being used instead. */
    lastError: SerialisedError | null;
  } | null;
  /** unavailable: items the shop marked sold out (setAvailability) that this model knows. */
  storage: { mode: StorageMode; reason: string | null; events: number; maxEvents: number; unavailable: number } | null;
  personal: (PersonalWeightsInfo & { ms: number | null }) | null;
  timings: { lastRecommendMs: number | null; lastPersonaliseMs: number | null };
  /**
   * What the Worker holds for the model: bytes tfjs keeps on its backend (0 on 'plain')
   * and the model's typed arrays. (Workers have no JS-heap API; the benchmark reads the
   * Worker's heap over the DevTools protocol.)
   */
  memory: { tfjsBytes: number; modelBytes: number };
  /** What the last init fell back from (empty when everything stored could be used). */
  warnings: StatusWarning[];
  /** Federated rounds: null when no endpoint is configured. */
  federated?: FederatedStatus | null;
}

/** Progress and lifecycle events the Worker sends without being asked. */
export type LocalrecEvent =
  /** The backend chosen at start, and again when 'auto' measured or remembered a faster one and swapped it in. */
  | { type: 'backend'; backend: BackendName; source: BackendSource; probes: BackendProbe[] }
  | { type: 'download'; file: string; bytes: number }
  | { type: 'progress'; file: string; loaded: number; total: number }
  | { type: 'ready'; modelVersion: number; source: 'network' | 'cache'; loadMs: number }
  | { type: 'model-error'; error: SerialisedError; usingCachedVersion: number | null }
  | { type: 'personalised'; result: PersonaliseResult; reason: 'idle' | 'demand' | 'model-updated' }
  /** The Worker applied a new consent state (what it recommends from may have changed). */
  | { type: 'consent'; state: ConsentState; removedEvents: number }
  | { type: 'federated'; outcome: FederatedOutcome; roundId: number | null; serverModelVersion: number | null }
  /** Init fell back instead of failing (the same entry is in status().warnings). */
  | { type: 'warning'; warning: StatusWarning };
