/**
 * The main-thread client's public API: a few explicit async calls, each checking its
 * arguments with the Worker's own schemas before main-transport.ts posts it, and the
 * shopper's consent tracked and sent along. This file must not import tfjs (a unit test
 * walks its import graph): the page pays only for this small client, and tfjs stays one
 * instance in the Worker.
 */
import { DEV } from '../dev';
import { LocalrecError } from '../errors';
import type { Method, Params, Result, WorkerInitParams } from './protocol';
import { GA4_EVENT_TYPES, ga4EventType, ga4ItemIds } from '../data/ga4';
import type {
  AvailabilityResult,
  BackendName,
  ConsentState,
  Explanation,
  ExplainOptions,
  ExportedData,
  Ga4TrackEvent,
  LocalrecEvent,
  LocalrecMethod,
  PersonaliseOptions,
  PersonaliseResult,
  RecommendOptions,
  RecommendResult,
  Status,
  StorageMode,
  TrackEvent,
  TrackResult,
} from './types';
import { ConsentTracker, type ConsentHost } from './main-consent';
import { DEFAULT_TIMEOUTS, WorkerTransport } from './main-transport';
import { startWorker } from './main-worker';
import { checkAvailabilityArgs, checkConsentArg, checkCreateOptions, checkExplainArgs, checkPersonaliseArg, checkRecommendArg, MAX_TIMER_MS, validateEvents } from './schemas';

export interface LocalrecOptions {
  /** URL of the model's manifest.json (relative URLs resolve against the page). */
  model: string | URL;
  /** Force what computes scores: a tfjs backend, or 'plain' (the SDK's own TypeScript loop, no tfjs loaded); default 'auto' measures and picks the fastest. */
  backend?: BackendName | 'auto';
  /** 'memory' keeps interactions for this page only; default 'auto' uses IndexedDB when it can. */
  storage?: StorageMode | 'auto';
  /** IndexedDB database name; default 'localrec'. */
  dbName?: string;
  /** Most interactions kept on the device (oldest dropped first); default 1000. */
  maxEvents?: number;
  /** Personalise after this many quiet ms following new events; 0 = only on personalise(). Default 2000. */
  personaliseDebounceMs?: number;
  /**
   * Folder URL serving the tfjs wasm binaries. Default: `../tfjs-wasm/` relative to the
   * Worker script, which is where the demo and embed builds put them.
   */
  wasmPath?: string | URL;
  /**
   * The shopper's consent before any signal arrives; default 'pending'. While it is not
   * 'granted', nothing is stored, track() and personalise() reject with 'consent-required'
   * and recommendations come from the shared model; 'denied' also deletes what was stored.
   */
  consent?: ConsentState;
  /**
   * Read Global Privacy Control (→ denied), TCF v2.2 `__tcfapi` and Google Consent Mode
   * `personalization_storage` in `dataLayer` (see main-consent.ts); default true.
   */
  consentSignals?: boolean;
  /**
   * Federated rounds: after personalising, the Worker uploads the clipped (noised) delta
   * of the shared tower to this server, once per round, and only while consent is
   * 'granted' (the Worker's consent state, the one set by `consent` requests); a change
   * away from 'granted' cancels a running upload. `token` is the client token the shop
   * issued to this device.
   */
  federated?: { endpoint: string | URL; token: string };
  /** Progress and lifecycle events (download, progress, ready, personalised, …). */
  onEvent?: (event: LocalrecEvent) => void;
  /** Custom Worker factory, e.g. for a CSP that needs a specific URL (also used for the one restart after a crash). */
  createWorker?: () => Worker;
  /** Per-method call timeouts in ms (see DEFAULT_TIMEOUTS); a call that takes longer rejects with 'worker-timeout'. */
  timeouts?: Partial<Record<LocalrecMethod, number>>;
}

/** The public API (its params and results are the protocol's, protocol.ts `Methods`, written out here for readers). */
export interface Localrec {
  /** (Re)loads the model from the manifest URL; createLocalrec has already called it once. */
  init(): Promise<Status>;
  /** Stores interactions (needs consent); GA4's `{ event: 'view_item', items: [{ item_id }] }` shape works too. */
  track(event: TrackEvent | TrackEvent[] | Ga4TrackEvent): Promise<TrackResult>;
  /** The top `n` items for this shopper (or, with `context`, related to that item); `mode` says which kind of list it is. */
  recommend(options?: RecommendOptions): Promise<RecommendResult>;
  /** Why `item` is recommended: the stored interactions that moved its score most, and a sentence for the shopper. */
  explain(item: string, options?: ExplainOptions): Promise<Explanation>;
  /** A few steps of on-device training on the stored interactions (needs consent); also runs by itself once new events have been quiet for `personaliseDebounceMs`. */
  personalise(options?: PersonaliseOptions): Promise<PersonaliseResult>;
  /** Removes every stored interaction and personal weight. */
  forget(): Promise<{ removedEvents: number }>;
  /** Everything stored about the shopper on this device (events, personal weights), as JSON-ready data. */
  exportData(): Promise<ExportedData>;
  /** The chosen backend and its probes, the model, storage, timings and warnings. */
  status(): Promise<Status>;
  /**
   * Marks items sold out (`false`) or back in stock (`true`): unavailable items never appear
   * in recommend() until made available again. Stored on the device across reloads and model
   * updates; needs no consent (it is the shop's data). Unknown ids are ignored and counted.
   */
  setAvailability(ids: string[], available: boolean): Promise<AvailabilityResult>;
  /** The site's own consent decision; resolves once the Worker applied it ('denied' deletes stored data). */
  setConsent(state: ConsentState): Promise<void>;
  /** Listens to progress and lifecycle events; returns an unsubscribe function. */
  subscribe(listener: (event: LocalrecEvent) => void): () => void;
  /** Stops the Worker; later calls reject with 'worker-failed'. */
  terminate(): void;
}

/** The public API over the transport: arguments checked on the page, consent tracked and sent to the Worker when it changes. */
class Client implements Localrec {
  readonly #transport: WorkerTransport;
  readonly #consent: ConsentTracker;
  /** The state the Worker last heard, and the request that told it. */
  #sentConsent: ConsentState | null = null;
  #consentSent: Promise<void> = Promise.resolve();

  constructor(createWorker: () => Worker, params: WorkerInitParams, options: LocalrecOptions) {
    this.#consent = new ConsentTracker(globalThis as ConsentHost, options.consent ?? 'pending', options.consentSignals !== false, () => {
      this.#syncConsent().catch(() => undefined);
    });
    this.#transport = new WorkerTransport(createWorker, params, { ...DEFAULT_TIMEOUTS, ...options.timeouts }, () => (this.#sentConsent = this.#consent.state));
    if (options.onEvent) this.#transport.listeners.add(options.onEvent);
    // A denial in another tab reached this tab's Worker: the page follows it, so track() says
    // consent-required at once and a later setConsent('granted') is sent (it differs again).
    this.#transport.listeners.add((e) => {
      if (e.type === 'consent' && e.state === 'denied') this.#consent.set((this.#sentConsent = 'denied'));
    });
  }

  /** Runs `check` and turns its throw into a rejection (the public methods never throw synchronously). */
  #checked<T>(check: () => T): { ok: true; value: T } | { ok: false; error: Promise<never> } {
    try {
      return { ok: true, value: check() };
    } catch (e) {
      return { ok: false, error: Promise.reject(e) };
    }
  }

  #requireConsent(what: string): Promise<never> | null {
    const state = this.#consent.state;
    if (state === 'granted') return null;
    return Promise.reject(
      new LocalrecError('consent-required', `${what} needs the shopper's consent`, { consent: state }, DEV ? "the consent option, Global Privacy Control or the site's CMP has not granted it; call setConsent('granted') once the shopper agrees" : undefined),
    );
  }

  /** Tells the Worker the current consent state when it changed since it last heard. */
  #syncConsent(): Promise<void> {
    const state = this.#consent.state;
    if (this.#sentConsent === null || state === this.#sentConsent) return this.#consentSent;
    this.#sentConsent = state;
    this.#consentSent = this.#transport.call('consent', { state }).then(() => undefined);
    return this.#consentSent;
  }

  init(): Promise<Result<'init'>> {
    return this.#transport.init();
  }
  track(event: TrackEvent | TrackEvent[] | Ga4TrackEvent): Promise<Result<'track'>> {
    const refused = this.#requireConsent('track()');
    if (refused) return refused;
    let events: TrackEvent[];
    if (event !== null && typeof event === 'object' && !Array.isArray(event) && 'event' in event) {
      const type = ga4EventType(event.event);
      if (!type) return Promise.reject(new LocalrecError('invalid-argument', `GA4 events tracked are ${Object.keys(GA4_EVENT_TYPES).join(', ')}`, { event: String(event.event) }));
      const ts = event.ts === undefined ? {} : { ts: event.ts };
      events = ga4ItemIds(event.items).map((item) => ({ item, type, ...ts }));
    } else events = Array.isArray(event) ? event : [event];
    // The Worker's own schema (schemas.ts): a bad batch fails here with the same invalid-event it would get there.
    const valid = this.#checked(() => validateEvents(events));
    return valid.ok ? this.#transport.call('track', { events }) : valid.error;
  }
  recommend(options: Params<'recommend'> = {}): Promise<Result<'recommend'>> {
    const r = this.#checked(() => checkRecommendArg(options));
    return r.ok ? this.#transport.call('recommend', r.value) : r.error;
  }
  explain(item: string, options: ExplainOptions = {}): Promise<Result<'explain'>> {
    const r = this.#checked(() => checkExplainArgs(item, options));
    return r.ok ? this.#transport.call('explain', r.value) : r.error;
  }
  personalise(options: Params<'personalise'> = {}): Promise<Result<'personalise'>> {
    const r = this.#checked(() => checkPersonaliseArg(options));
    if (!r.ok) return r.error;
    return this.#requireConsent('personalise()') ?? this.#transport.call('personalise', r.value);
  }
  forget(): Promise<Result<'forget'>> {
    return this.#transport.call('forget', {});
  }
  exportData(): Promise<Result<'exportData'>> {
    return this.#transport.call('exportData', {});
  }
  status(): Promise<Result<'status'>> {
    return this.#transport.call('status', {});
  }
  setAvailability(ids: string[], available: boolean): Promise<Result<'setAvailability'>> {
    const r = this.#checked(() => checkAvailabilityArgs(ids, available));
    return r.ok ? this.#transport.call('setAvailability', r.value) : r.error;
  }
  setConsent(state: ConsentState): Promise<void> {
    const r = this.#checked(() => checkConsentArg(state));
    if (!r.ok) return r.error;
    this.#consent.set(r.value);
    return this.#syncConsent();
  }
  subscribe(listener: (event: LocalrecEvent) => void): () => void {
    this.#transport.listeners.add(listener);
    return () => this.#transport.listeners.delete(listener);
  }
  terminate(): void {
    this.#consent.stop();
    this.#transport.terminate(new LocalrecError('worker-failed', 'the client was terminated'));
  }
}

function absolute(url: string | URL): string {
  const base = globalThis.location?.href;
  return new URL(url, base).href;
}

/** Spawns the Worker, loads the model and resolves once the recommender is ready. */
export async function createLocalrec(options: LocalrecOptions): Promise<Localrec> {
  if (!options || !options.model) throw new LocalrecError('invalid-argument', 'createLocalrec needs a model URL', {}, DEV ? 'pass { model: "<url of manifest.json>" }' : undefined);
  checkCreateOptions(options);
  const params: WorkerInitParams = {
    modelUrl: absolute(options.model),
    backend: options.backend ?? 'auto',
    storage: options.storage ?? 'auto',
    dbName: options.dbName ?? 'localrec',
    maxEvents: options.maxEvents ?? 1000,
    personaliseDebounceMs: options.personaliseDebounceMs ?? 2000,
    wasmPath: options.wasmPath === undefined ? null : absolute(options.wasmPath),
    consent: 'pending', // replaced by the tracked state when init is sent
    federated: options.federated ? { endpoint: absolute(options.federated.endpoint), token: options.federated.token } : null,
  };
  for (const [method, ms] of Object.entries(options.timeouts ?? {})) {
    if (!(method in DEFAULT_TIMEOUTS) || typeof ms !== 'number' || !(ms > 0 && ms <= MAX_TIMER_MS)) {
      throw new LocalrecError('invalid-argument', `timeouts.${method} must be a positive number of ms, at most ${MAX_TIMER_MS}`, { method });
    }
  }
  const client = new Client(options.createWorker ?? startWorker, params, options);
  try {
    await client.init();
  } catch (e) {
    client.terminate();
    throw e;
  }
  return client;
}
