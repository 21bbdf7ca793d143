/**
 * The main-thread client: a few explicit async calls that post typed messages to the
 * module Worker. This file must not import tfjs (a unit test walks its import graph):
 * the page pays only for this small client, and tfjs stays one instance in the Worker.
 */
import { DEV } from '../dev';
import { LocalrecError } from '../errors';
import type { Method, Params, RequestMessage, Result, WorkerInitParams, WorkerMessage } from './protocol';
import { ga4EventType, ga4ItemIds } from '../data/ga4';
import type { BackendName, ConsentState, ExplainOptions, Ga4TrackEvent, LocalrecEvent, StorageMode, TrackEvent } from './types';
import { ConsentTracker, isConsentState, type ConsentHost } from './main-consent';
import { startWorker } from './main-worker';

export interface LocalrecOptions {
  /** URL of the model's manifest.json (relative URLs resolve against the page). */
  model: string | URL;
  /** Force a tfjs backend; default 'auto' measures and picks the fastest that works. */
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
  /** Custom Worker factory, e.g. for a CSP that needs a specific URL. */
  createWorker?: () => Worker;
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
 */
interface Pending {
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

  constructor(
    private readonly worker: Worker,
    private readonly params: WorkerInitParams,
    private readonly options: LocalrecOptions,
  ) {
    this.consent = new ConsentTracker(globalThis as ConsentHost, options.consent ?? 'pending', options.consentSignals !== false, () => {
      this.syncConsent().catch(() => undefined);
    });
    if (options.onEvent) this.listeners.add(options.onEvent);
    worker.addEventListener('message', (ev: MessageEvent<WorkerMessage>) => this.onMessage(ev.data));
    worker.addEventListener('error', (ev) => {
      ev.preventDefault();
      this.fail(
        new LocalrecError('worker-failed', `the localrec Worker failed: ${ev.message || 'could not load the Worker script'}`, {}, DEV
          ? "check that the Worker script's URL is served and that the page's CSP allows it (worker-src) and wasm ('wasm-unsafe-eval')"
          : undefined),
      );
    });
    worker.addEventListener('messageerror', () => this.fail(new LocalrecError('worker-failed', 'a message from the Worker could not be read')));
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
    if (msg.ok) p.resolve(msg.value);
    else p.reject(LocalrecError.fromJSON(msg.error));
  }

  private fail(err: LocalrecError): void {
    this.dead = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private call<M extends Method>(method: M, params: Params<M>): Promise<Result<M>> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<Result<M>>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: RequestMessage<M> = { kind: 'request', id, method, params };
      this.worker.postMessage(request);
    });
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
    if (Array.isArray(event) || !event || !('event' in event)) return this.call('track', { events: Array.isArray(event) ? event : [event] });
    const type = ga4EventType(event.event);
    if (!type) return Promise.reject(new LocalrecError('invalid-argument', 'GA4 events tracked are view_item, add_to_cart and purchase', { event: String(event.event) }));
    const ts = event.ts === undefined ? {} : { ts: event.ts };
    return this.call('track', { events: ga4ItemIds(event.items).map((item) => ({ item, type, ...ts })) });
  }
  recommend(options: Params<'recommend'> = {}): Promise<Result<'recommend'>> {
    return this.call('recommend', options);
  }
  explain(item: string, options: ExplainOptions = {}): Promise<Result<'explain'>> {
    return this.call('explain', { item, options });
  }
  personalise(options: Params<'personalise'> = {}): Promise<Result<'personalise'>> {
    return this.requireConsent('personalise()') ?? this.call('personalise', options);
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
  setConsent(state: ConsentState): Promise<void> {
    if (!isConsentState(state)) {
      return Promise.reject(new LocalrecError('invalid-argument', "setConsent takes 'granted', 'pending' or 'denied'", { got: String(state) }));
    }
    this.consent.set(state);
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
  const worker = options.createWorker ? options.createWorker() : startWorker();
  const client = new Client(worker, params, options);
  try {
    await client.init();
  } catch (e) {
    client.terminate();
    throw e;
  }
  return client;
}
