/**
 * The main-thread client: a few explicit async calls that post typed messages to the
 * module Worker. This file must not import tfjs (a unit test walks its import graph):
 * the page pays only for this small client, and tfjs stays one instance in the Worker.
 */
import { DEV } from '../dev';
import { LocalrecError } from '../errors';
import type { Method, Params, RequestMessage, Result, WorkerInitParams, WorkerMessage } from './protocol';
import { GA4_EVENT_TYPES, ga4EventType, ga4ItemIds } from '../data/ga4';
import type { BackendName, ConsentState, ExplainOptions, Ga4TrackEvent, LocalrecEvent, StorageMode, TrackEvent } from './types';
import { ConsentTracker, type ConsentHost } from './main-consent';
import { startWorker } from './main-worker';
import { checkAvailabilityArgs, checkConsentArg, checkCreateOptions, checkExplainArgs, checkPersonaliseArg, checkRecommendArg, MAX_TIMER_MS, validateEvents } from './schemas';

/**
 * How long each Worker call may take before it rejects with `worker-timeout`, in ms.
 * Calls run one at a time in the Worker, so a call's time includes waiting for the ones
 * before it; init downloads and verifies the model, and personalise trains, hence longer.
 */
export const DEFAULT_TIMEOUTS: Readonly<Record<Method, number>> = {
  init: 120_000,
  personalise: 60_000,
  track: 30_000,
  recommend: 30_000,
  explain: 30_000,
  forget: 30_000,
  exportData: 30_000,
  status: 30_000,
  consent: 30_000,
  setAvailability: 30_000,
};

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
  timeouts?: Partial<Record<Method, number>>;
}

/** The public API; params and results are the protocol's (see protocol.ts `Methods`). */
export interface Localrec {
  /** (Re)loads the model from the manifest URL; createLocalrec has already called it once. */
  init(): Promise<Result<'init'>>;
  /** Stores interactions (needs consent); GA4's `{ event: 'view_item', items: [{ item_id }] }` shape works too. */
  track(event: TrackEvent | TrackEvent[] | Ga4TrackEvent): Promise<Result<'track'>>;
  recommend(options?: Params<'recommend'>): Promise<Result<'recommend'>>;
  explain(item: string, options?: ExplainOptions): Promise<Result<'explain'>>;
  personalise(options?: Params<'personalise'>): Promise<Result<'personalise'>>;
  /** Removes every stored interaction and personal weight. */
  forget(): Promise<Result<'forget'>>;
  exportData(): Promise<Result<'exportData'>>;
  status(): Promise<Result<'status'>>;
  /**
   * Marks items sold out (`false`) or back in stock (`true`): unavailable items never appear
   * in recommend() until made available again. Stored on the device across reloads and model
   * updates; needs no consent (it is the shop's data). Unknown ids are ignored and counted.
   */
  setAvailability(ids: string[], available: boolean): Promise<Result<'setAvailability'>>;
  /** The site's own consent decision; resolves once the Worker applied it ('denied' deletes stored data). */
  setConsent(state: ConsentState): Promise<void>;
  /** Listens to progress and lifecycle events; returns an unsubscribe function. */
  subscribe(listener: (event: LocalrecEvent) => void): () => void;
  /** Stops the Worker; later calls reject with 'worker-failed'. */
  terminate(): void;
}

/**
 * A call waiting for its response. `resolve` is declared as a method so that a resolver
 * for one method's result fits here: the Worker answers id N with method N's result.
 * The request is kept so that a crashed Worker's calls can be sent again, once.
 */
interface Pending {
  request: RequestMessage;
  timer: ReturnType<typeof setTimeout>;
  resolve(value: Result<Method>): void;
  reject(error: LocalrecError): void;
}

class Client implements Localrec {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(event: LocalrecEvent) => void>();
  private dead: LocalrecError | null = null;
  private readonly consent: ConsentTracker;
  /** The state the Worker last heard, and the request that told it. */
  private sentConsent: ConsentState | null = null;
  private consentSent: Promise<void> = Promise.resolve();
  private worker: Worker;
  /** A crashed Worker is replaced once; a second crash fails the client. */
  private restarted = false;
  private readonly timeouts: Record<Method, number>;

  constructor(
    private readonly createWorker: () => Worker,
    private readonly params: WorkerInitParams,
    private readonly options: LocalrecOptions,
  ) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.consent = new ConsentTracker(globalThis as ConsentHost, options.consent ?? 'pending', options.consentSignals !== false, () => {
      this.syncConsent().catch(() => undefined);
    });
    if (options.onEvent) this.listeners.add(options.onEvent);
    this.worker = this.attach(createWorker());
  }

  /** Listens to one Worker; events from a Worker that was replaced are ignored. */
  private attach(worker: Worker): Worker {
    worker.addEventListener('message', (ev: MessageEvent<WorkerMessage>) => {
      if (worker === this.worker) this.onMessage(ev.data);
    });
    worker.addEventListener('error', (ev) => {
      ev.preventDefault();
      if (worker !== this.worker) return;
      this.crashed(
        new LocalrecError('worker-failed', `the localrec Worker failed: ${ev.message || 'could not load the Worker script'}`, {}, DEV
          ? "check that the Worker script's URL is served and that the page's CSP allows it (worker-src) and wasm ('wasm-unsafe-eval')"
          : undefined),
      );
    });
    worker.addEventListener('messageerror', () => {
      if (worker === this.worker) this.fail(new LocalrecError('worker-failed', 'a message from the Worker could not be read'));
    });
    return worker;
  }

  /**
   * The Worker died (an uncaught error or a failed load). The first time, a new Worker is
   * started, initialised with the same options and the current consent, and every call
   * that was waiting is sent to it again (once); the second time, the client fails.
   */
  private crashed(err: LocalrecError): void {
    if (this.dead) return;
    if (this.restarted) return this.fail(err);
    this.restarted = true;
    try {
      this.worker.terminate();
    } catch {
      // Already gone.
    }
    let next: Worker;
    try {
      next = this.createWorker();
    } catch {
      return this.fail(err);
    }
    this.worker = this.attach(next);
    const waiting = [...this.pending.values()].map((p) => p.request);
    // The new Worker has no model: initialise it first, unless an init is already waiting.
    if (!waiting.some((r) => r.method === 'init')) {
      this.sentConsent = this.consent.state;
      this.call('init', { ...this.params, consent: this.sentConsent }).catch(() => undefined);
    }
    for (const r of [...waiting.filter((r) => r.method === 'init'), ...waiting.filter((r) => r.method !== 'init')]) {
      if (r.method === 'init') this.sentConsent = this.consent.state;
      this.worker.postMessage(r.method === 'init' ? { ...r, params: { ...r.params, consent: this.consent.state } } : r);
    }
  }

  private onMessage(msg: WorkerMessage): void {
    if (msg.kind === 'event') {
      for (const l of this.listeners) {
        try {
          l(msg.event);
        } catch {
          // A listener's bug must not break the client.
        }
      }
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(LocalrecError.fromJSON(msg.error));
  }

  private fail(err: LocalrecError): void {
    this.dead = err;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }

  private call<M extends Method>(method: M, params: Params<M>): Promise<Result<M>> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    const ms = this.timeouts[method];
    return new Promise<Result<M>>((resolve, reject) => {
      const request: RequestMessage<M> = { kind: 'request', id, method, params };
      const timer = setTimeout(() => {
        if (!this.pending.delete(id)) return;
        reject(
          new LocalrecError('worker-timeout', `${method}() got no answer from the Worker within ${ms} ms`, { method, ms }, DEV
            ? 'the Worker may be stalled or busy with a long call before this one; raise `timeouts` if the model or device is slow'
            : undefined),
        );
      }, ms);
      // Stored as the method union: the entry only ever re-posts this same request.
      this.pending.set(id, { request: request as RequestMessage, timer, resolve, reject });
      this.worker.postMessage(request);
    });
  }

  /** Runs `check` and turns its throw into a rejection (the public methods never throw synchronously). */
  private checked<T>(check: () => T): { ok: true; value: T } | { ok: false; error: Promise<never> } {
    try {
      return { ok: true, value: check() };
    } catch (e) {
      return { ok: false, error: Promise.reject(e) };
    }
  }

  private requireConsent(what: string): Promise<never> | null {
    const state = this.consent.state;
    if (state === 'granted') return null;
    return Promise.reject(
      new LocalrecError('consent-required', `${what} needs the shopper's consent`, { consent: state }, DEV ? "the consent option, Global Privacy Control or the site's CMP has not granted it; call setConsent('granted') once the shopper agrees" : undefined),
    );
  }

  /** Tells the Worker the current consent state when it changed since it last heard. */
  private syncConsent(): Promise<void> {
    const state = this.consent.state;
    if (this.sentConsent === null || state === this.sentConsent) return this.consentSent;
    this.sentConsent = state;
    this.consentSent = this.call('consent', { state }).then(() => undefined);
    return this.consentSent;
  }

  init(): Promise<Result<'init'>> {
    this.sentConsent = this.consent.state;
    return this.call('init', { ...this.params, consent: this.sentConsent });
  }
  track(event: TrackEvent | TrackEvent[] | Ga4TrackEvent): Promise<Result<'track'>> {
    const refused = this.requireConsent('track()');
    if (refused) return refused;
    let events: TrackEvent[];
    if (event !== null && typeof event === 'object' && !Array.isArray(event) && 'event' in event) {
      const type = ga4EventType(event.event);
      if (!type) return Promise.reject(new LocalrecError('invalid-argument', `GA4 events tracked are ${Object.keys(GA4_EVENT_TYPES).join(', ')}`, { event: String(event.event) }));
      const ts = event.ts === undefined ? {} : { ts: event.ts };
      events = ga4ItemIds(event.items).map((item) => ({ item, type, ...ts }));
    } else events = Array.isArray(event) ? event : [event];
    // The Worker's own schema (schemas.ts): a bad batch fails here with the same invalid-event it would get there.
    const valid = this.checked(() => validateEvents(events));
    return valid.ok ? this.call('track', { events }) : valid.error;
  }
  recommend(options: Params<'recommend'> = {}): Promise<Result<'recommend'>> {
    const r = this.checked(() => checkRecommendArg(options));
    return r.ok ? this.call('recommend', r.value) : r.error;
  }
  explain(item: string, options: ExplainOptions = {}): Promise<Result<'explain'>> {
    const r = this.checked(() => checkExplainArgs(item, options));
    return r.ok ? this.call('explain', r.value) : r.error;
  }
  personalise(options: Params<'personalise'> = {}): Promise<Result<'personalise'>> {
    const r = this.checked(() => checkPersonaliseArg(options));
    if (!r.ok) return r.error;
    return this.requireConsent('personalise()') ?? this.call('personalise', r.value);
  }
  forget(): Promise<Result<'forget'>> {
    return this.call('forget', {});
  }
  exportData(): Promise<Result<'exportData'>> {
    return this.call('exportData', {});
  }
  status(): Promise<Result<'status'>> {
    return this.call('status', {});
  }
  setAvailability(ids: string[], available: boolean): Promise<Result<'setAvailability'>> {
    const r = this.checked(() => checkAvailabilityArgs(ids, available));
    return r.ok ? this.call('setAvailability', r.value) : r.error;
  }
  setConsent(state: ConsentState): Promise<void> {
    const r = this.checked(() => checkConsentArg(state));
    if (!r.ok) return r.error;
    this.consent.set(r.value);
    return this.syncConsent();
  }
  subscribe(listener: (event: LocalrecEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  terminate(): void {
    this.consent.stop();
    this.worker.terminate();
    this.fail(new LocalrecError('worker-failed', 'the client was terminated'));
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
