/**
 * Everything the Worker does, independent of postMessage so Node tests can drive it. The
 * runtime is the orchestrator: a typed handler table checks each request's arguments once
 * (the page is not trusted) and hands the work, in turn on one request queue, to services
 * with one concern each — start-up and recovery (worker-startup.ts), personal weights
 * (worker-personal.ts), scoring and explanations (worker-scoring.ts) and federated uploads
 * (worker-uploads.ts). It holds the consent state they all read.
 */
import { LocalrecError } from '../errors';
import type { Handlers, Method, Params, RequestMessage, Result, WorkerInitParams } from './protocol';
import { checkAvailabilityArgs, checkConsentArg, checkExplainArgs, checkPersonaliseArg, checkRecommendArg, validateEvents, type ValidEvent } from './schemas';
import type { ConsentState, ExportedData, Status, StatusWarning } from './types';
import type { BackendChoice } from './worker-backend';
import { BackendMemory, backendKey } from './worker-backend-memory';
import { BackendTakeover, type TakeoverDeps } from './worker-backend-takeover';
import type { StoreChange, HistoryCache } from './worker-history-cache';
import type { LoadResult } from './worker-loader';
import { PersonalWeights } from './worker-personal';
import { RequestQueue } from './worker-queue';
import { Scoring, type Asker } from './worker-scoring';
import { Startup, warning, type StartupDeps, type Started } from './worker-startup';
import { Uploads, type UploadDeps } from './worker-uploads';

/** `takeover`: how 'auto' measures after the first recommendation; without it 'auto' stays on plain. */
export type RuntimeDeps = StartupDeps & UploadDeps & { takeover?: TakeoverDeps };
export { RELATED_WEIGHT } from './worker-scoring';

type PersonaliseReason = 'idle' | 'demand' | 'model-updated';

export class WorkerRuntime {
  readonly #queue = new RequestQueue();
  readonly #startup: Startup;
  readonly #scoring = new Scoring();
  readonly #personal = new PersonalWeights();
  readonly #uploads: Uploads;
  readonly #takeover: BackendTakeover | null;
  /** Opened on the first 'auto' start that may remember its choice. */
  #backendMemory: BackendMemory | null = null;
  #loaded: LoadResult | null = null;
  #store: HistoryCache | null = null;
  /**
   * Until the page says 'granted', nothing is stored or used (the page is not trusted to
   * check); federated uploads read this same state.
   */
  #consent: ConsentState = 'pending';
  /** What the last init fell back from. */
  #warnings: StatusWarning[] = [];
  /**
   * The newest server version a live pick-up was queued for: a model URL that still serves an
   * older copy (a CDN that lags) is not fetched again and again for the same version.
   */
  #pickUpFor = 0;
  readonly #deps: RuntimeDeps;

  constructor(deps: RuntimeDeps) {
    this.#deps = deps;
    this.#startup = new Startup(deps, (store, change) => this.#remoteChange(store, change));
    // A round that trains a newer version than this page holds is how a running page learns of it.
    const emit = (e: Parameters<RuntimeDeps['emit']>[0]) => {
      deps.emit(e);
      if (e.type === 'federated' && e.serverModelVersion !== null) this.#newerVersion(e.serverModelVersion);
    };
    this.#uploads = new Uploads({ ...deps, emit }, (version, work) =>
      this.#queue.run(async () => {
        const loaded = this.#loaded;
        if (!loaded || loaded.model.manifest.modelVersion !== version || !this.#granted) return null;
        return work(this.#scoring.ready().session);
      }),
    );
    this.#takeover = deps.takeover ? new BackendTakeover(deps.takeover, (choice, isCurrent) => this.#queue.later(async () => this.#swapBackend(choice, isCurrent))) : null;
  }

  /** One handler per protocol method; each checks its arguments once, here, and the services trust them. */
  readonly #handlers: Handlers = {
    init: (p) => this.#init(p, checkConsentArg(p?.consent)),
    track: (p) => this.#track(p?.events),
    recommend: async (p) => this.#recommend(checkRecommendArg(p)),
    explain: async (p) => {
      const { item, options } = checkExplainArgs(p?.item, p?.options ?? {});
      return this.#scoring.explain(item, options, await this.#asker());
    },
    personalise: async (p) => this.#personalise(checkPersonaliseArg(p).steps, 'demand'),
    forget: () => this.#forget(),
    exportData: () => this.#exportData(),
    status: () => this.#status(),
    consent: async (p) => this.#setConsent(checkConsentArg(p?.state)),
    setAvailability: async (p) => {
      this.#ready();
      const args = checkAvailabilityArgs(p?.ids, p?.available);
      return this.#setAvailability(args.ids, args.available);
    },
  };

  /** Runs one request after every earlier one has finished. */
  handle<M extends Method>(req: RequestMessage<M>): Promise<Result<M>> {
    const p = this.#queue.run(() => dispatch(this.#handlers, req));
    // A withdrawal stops uploads at once, not only when its turn in the queue comes
    // (a personalisation queued before it would otherwise still upload).
    if (req.method === 'consent' && (req.params as Params<'consent'> | undefined)?.state !== 'granted') this.#uploads.withdraw(p);
    return p;
  }

  get #granted(): boolean {
    return this.#consent === 'granted';
  }

  #ready(): { store: HistoryCache; loaded: LoadResult } {
    this.#scoring.ready();
    return { store: this.#store!, loaded: this.#loaded! };
  }

  #requireConsent(what: string): void {
    if (!this.#granted) throw new LocalrecError('consent-required', `${what} needs the shopper's consent`, { consent: this.#consent });
  }

  async #init(params: WorkerInitParams, consent: ConsentState): Promise<Result<'init'>> {
    this.#consent = consent;
    await this.#uploads.configure(params, this.#granted);
    const started = await this.#startup.start(params, consent);
    this.#loaded = started.loaded;
    this.#store = started.store;
    this.#warnings = started.warnings;
    this.#scoring.rebuild(started.loaded.model, started.backend.scorer, started.events);
    this.#scoring.unavailable = new Set(started.unavailable);
    this.#armTakeover(params, started);
    await this.#recoverPersonal(started);
    for (const w of started.warnings) this.#deps.emit({ type: 'warning', warning: w });
    return this.#status();
  }

  /**
   * The server publishes a version newer than the one loaded: pick it up at the next idle
   * moment (after every request queued now), without a page reload.
   */
  #newerVersion(version: number): void {
    const held = this.#loaded?.model.manifest.modelVersion;
    if (held === undefined || version <= held || version <= this.#pickUpFor) return;
    this.#pickUpFor = version;
    this.#queue.later(() => this.#pickUp());
  }

  /**
   * Loads the model URL again, as a reload would (every file hash-verified, the last good copy
   * kept): when it is another version, scoring moves to it and the personal weights are carried
   * over as after a reload — those of the old version are learned again from the stored
   * interactions on the new one.
   */
  async #pickUp(): Promise<void> {
    const held = this.#loaded;
    const store = this.#store;
    if (!held || !store) return;
    const loaded = await this.#startup.reload();
    const [a, b] = [held.model.manifest, loaded.model.manifest];
    if (a.name === b.name && a.modelVersion === b.modelVersion) {
      // The network copy was unusable (the cached one came back): the next round's answer may try again.
      if (loaded.error) this.#pickUpFor = 0;
      return;
    }
    this.#loaded = loaded;
    const events = await store.all().catch(() => []);
    this.#rebuild(events);
    let weights: Started['weights'] = { record: null, unreadable: false };
    try {
      weights = { record: await store.getWeights(), unreadable: false };
    } catch {
      weights = { record: null, unreadable: true };
    }
    this.#deps.emit({ type: 'ready', modelVersion: b.modelVersion, source: loaded.source, loadMs: loaded.ms });
    await this.#recoverPersonal({ loaded, weights, events, warnings: this.#warnings });
  }

  /** 'auto' not measured yet: measure after the first recommendation, remembering the choice where IndexedDB is in use. */
  #armTakeover(params: WorkerInitParams, { backend, loaded, store }: Started): void {
    if (backend.source !== 'pending' || !this.#takeover) return this.#takeover?.cancel();
    const persistent = params.storage !== 'memory' && store.mode === 'indexeddb';
    if (persistent) this.#backendMemory ??= new BackendMemory(this.#deps.indexedDB ?? globalThis.indexedDB ?? null);
    const m = loaded.model.manifest;
    this.#takeover.arm({ key: backendKey(m, globalThis.navigator), wasmPath: params.wasmPath, items: m.dims.items, memory: persistent ? this.#backendMemory : null });
  }

  /** The measured backend replaces plain: same catalogue, a new session on its scorer. */
  async #swapBackend(choice: BackendChoice, isCurrent: () => boolean): Promise<void> {
    if (!isCurrent() || !this.#loaded) return;
    this.#startup.backend = choice;
    this.#scoring.useScorer(choice.scorer);
    this.#deps.emit({ type: 'backend', backend: choice.name, source: choice.source, probes: choice.probes });
  }

  /** Stored weights that fit this model are used; otherwise (another model version, or damaged) learn again from the stored interactions. */
  async #recoverPersonal({ loaded, weights, events, warnings }: Pick<Started, 'loaded' | 'weights' | 'events' | 'warnings'>): Promise<void> {
    this.#personal.clear();
    const { record, unreadable } = weights;
    if (record && this.#personal.adopt(record, loaded.model.manifest) === 'damaged') {
      warnings.push(warning('personal-weights-unreadable', 'the stored personal weights are damaged (wrong size or non-finite values); using the shared model', null));
    }
    if (this.#personal.record || unreadable || (!record && events.length === 0) || !this.#granted) return;
    try {
      await this.#personalise(undefined, 'model-updated');
    } catch (e) {
      this.#personal.clear();
      warnings.push(warning('repersonalise-failed', 'personalising for this model version failed; using the shared model', e));
    }
  }

  /**
   * Another tab wrote to the shared database. Its events are already re-read on the next
   * call; here the rest of what this Worker holds from the store follows, in turn with
   * requests (a failed read leaves what was held).
   */
  #remoteChange(store: HistoryCache, change: StoreChange): void {
    // As forget() here: a personalisation running now learned from erased events and must not write.
    if (change === 'cleared' || change === 'denied') this.#personal.stop();
    // A denial in another tab is this tab's too (the promise is per browser profile): applied
    // now, before any later write of this Worker; the store refuses writes meanwhile anyway.
    if (change === 'denied' && this.#consent !== 'denied') {
      this.#consent = 'denied';
      this.#uploads.cancel();
      this.#deps.emit({ type: 'consent', state: 'denied', removedEvents: 0 });
    }
    this.#queue.later(async () => {
      if (store !== this.#store || !this.#loaded) return;
      if (change === 'availability') this.#scoring.unavailable = new Set(await store.unavailable());
      else if (change === 'weights' || change === 'cleared' || change === 'denied') {
        // None stored means none here either; weights that do not fit this model are not used.
        const record = await store.getWeights();
        if (record === null) this.#personal.clear();
        else this.#personal.adopt(record, this.#loaded.model.manifest);
      }
      if (change === 'events' || change === 'cleared' || change === 'denied') {
        const events = await this.#scoring.staleFor(() => store.all());
        if (events) this.#rebuild(events);
      }
    });
  }

  #rebuild(events: Started['events']): void {
    this.#scoring.rebuild(this.#loaded!.model, this.#startup.backend!.scorer, events);
  }

  /** The shopper as scoring sees them: stored events and the personal tower with consent, else none and the shared tower. */
  async #asker(): Promise<Asker> {
    const { store, loaded } = this.#ready();
    let events: Asker['events'] = [];
    if (this.#granted) events = await store.all().catch(() => []);
    return { events, tower: this.#personal.tower(loaded.model.weights.tower, this.#granted) };
  }

  async #track(input: unknown): Promise<Result<'track'>> {
    const { store } = this.#ready();
    this.#requireConsent('track()');
    const events: ValidEvent[] = validateEvents(input);
    if (events.length > store.maxEvents) {
      // Storing it would evict every stored interaction (and some of the batch itself).
      throw new LocalrecError('invalid-event', `a batch of ${events.length} events is more than the store keeps (maxEvents ${store.maxEvents})`, { events: events.length, max: store.maxEvents });
    }
    const grows = this.#scoring.admit(events);
    const hadExtra = this.#scoring.hasExtraItems();
    const { stored, evicted } = await store.add(events);
    // Content-embedded rows come and go with the events that describe them; rebuild only then.
    if (grows || (evicted > 0 && hadExtra)) this.#rebuild(await store.all());
    this.#personal.schedule(this.#startup.debounceMs, () =>
      this.#queue.later(async () => {
        if (this.#granted) await this.#personalise(undefined, 'idle').catch(() => undefined);
      }),
    );
    return { stored: stored.length, evicted };
  }

  async #recommend(opts: Params<'recommend'>): Promise<Result<'recommend'>> {
    const asker = await this.#asker();
    const result = await this.#scoring.recommend(opts, asker, this.#granted && this.#personal.record !== null);
    this.#takeover?.recommended();
    return result;
  }

  async #personalise(steps: number | undefined, reason: PersonaliseReason): Promise<Result<'personalise'>> {
    const { store, loaded } = this.#ready();
    this.#requireConsent('personalise()');
    const { session } = this.#scoring.ready();
    const inputs = { session, store, manifest: loaded.model.manifest, history: (events: Started['events']) => this.#scoring.history(events).history };
    const { result, history } = await this.#personal.train(inputs, steps);
    if (!result.personalised) return result;
    this.#deps.emit({ type: 'personalised', result, reason });
    await this.#uploads.contribute(this.#granted, session, history, loaded.model);
    return result;
  }

  async #setConsent(next: ConsentState): Promise<Result<'consent'>> {
    const changed = next !== this.#consent;
    this.#consent = next;
    let result = { removedEvents: 0 };
    // No upload without consent: a running one stops now (also before init finished).
    if (next !== 'granted') this.#uploads.cancel();
    if (next !== 'granted' && this.#store) {
      this.#personal.stop(); // a personalisation already running must not write any more
      if (next === 'denied') result = await this.#forget(true);
    }
    // A grant here lifts a denial recorded by any tab (the latest decision wins).
    if (next === 'granted' && this.#store) await this.#store.grant();
    if (changed || result.removedEvents > 0) this.#deps.emit({ type: 'consent', state: next, ...result });
    return result;
  }

  async #setAvailability(ids: string[], available: boolean): Promise<Result<'setAvailability'>> {
    const { store } = this.#ready();
    const { known, unknown } = this.#scoring.partitionIds(ids);
    await store.setAvailability([...known], available);
    this.#scoring.setAvailable(known, available);
    return { updated: known.size, unknownIds: unknown.size };
  }

  /** `deny`: a withdrawal of consent, which every tab's writes then honour until a grant. */
  async #forget(deny = false): Promise<Result<'forget'>> {
    const { store } = this.#ready();
    this.#personal.stop();
    this.#uploads.cancel();
    const removedEvents = await store.clear(deny);
    this.#personal.clear();
    this.#rebuild([]);
    return { removedEvents };
  }

  async #exportData(): Promise<Result<'exportData'>> {
    const { store } = this.#ready();
    const [events, rec] = await Promise.all([store.all(), store.getWeights()]);
    let personalWeights: ExportedData['personalWeights'] = null;
    if (rec) {
      const { modelName, modelVersion, steps, lr, events: n, trainedAt, params } = rec;
      personalWeights = { modelName, modelVersion, steps, lr, events: n, trainedAt, params: Array.from(params) };
    }
    return { format: 'localrec-export', version: 1, exportedAt: new Date().toISOString(), events: [...events], personalWeights };
  }

  async #status(): Promise<Status> {
    const loaded = this.#loaded;
    const store = this.#store;
    const backend = this.#startup.backend;
    const rec = this.#personal.record;
    return {
      ready: this.#scoring.isReady,
      consent: this.#consent,
      backend: backend ? { name: backend.name, forced: backend.forced, source: backend.source, probes: backend.probes, initMs: backend.initMs } : null,
      model: loaded
        ? {
            name: loaded.model.manifest.name,
            version: loaded.model.manifest.modelVersion,
            items: loaded.model.manifest.dims.items,
            source: loaded.source,
            loadMs: loaded.ms,
            lastError: loaded.error ? loaded.error.toJSON() : null,
          }
        : null,
      storage: store ? { mode: store.mode, reason: store.reason, events: await store.count(), maxEvents: store.maxEvents, unavailable: this.#scoring.knownUnavailable() } : null,
      personal: rec ? { modelName: rec.modelName, modelVersion: rec.modelVersion, steps: rec.steps, lr: rec.lr, events: rec.events, trainedAt: rec.trainedAt, ms: rec.ms } : null,
      timings: { lastRecommendMs: this.#scoring.lastRecommendMs, lastPersonaliseMs: this.#personal.lastMs },
      memory: { tfjsBytes: backend?.tfjsBytes() ?? 0, modelBytes: this.#scoring.modelBytes() },
      federated: this.#uploads.status(),
      warnings: this.#warnings.map((w) => ({ ...w })),
    };
  }
}

/**
 * Runs a request through the handler table. Generic over M so TypeScript correlates the
 * method with its params (`handlers[req.method](req.params)` on the union would not compile).
 */
function dispatch<M extends Method>(handlers: Handlers, req: RequestMessage<M>): Promise<Result<M>> {
  const handler: (params: Params<M>) => Promise<Result<M>> = handlers[req.method];
  return handler(req.params);
}
