/**
 * Everything the Worker does, independent of postMessage so Node tests can drive it:
 * holds the model session, the store and the personal tower; runs requests one at a
 * time (a personalisation never interleaves with a forget); schedules personalisation
 * once the shopper has been quiet for a while.
 */
import { DEV } from '../dev';
import { EVENT_TYPES, type ItemMeta } from '../data/types';
import { LocalrecError } from '../errors';
import { buildCatalogue, hasContentFeatures, type Catalogue } from '../model/catalogue';
import { attributeScore } from '../model/explain';
import { blendScores, ItemSimilarity } from '../model/similarity';
import type { IndexedEvent } from '../model/pooling';
import { ModelSession } from '../model/session';
import { flattenTower, towerSize, unflattenTower, type TowerParams } from '../model/weights';
import { FederatedClient, checkFederatedConfig, type FederatedClientDeps, type FederatedOutcome } from '../federated/client';
import { DEVICE_UPDATE, drawSupportSize, splitForUpdate } from '../federated/device-task';
import type { Handlers, Method, Params, RequestMessage, Result, WorkerInitParams } from './protocol';
import type { BackendChoice } from './worker-backend';
import { validateEvents } from './worker-events';
import { checkAvailabilityArgs, checkConsentArg, checkExplainArgs, checkPersonaliseArg, checkRecommendArg } from './schemas';
import { loadModel, type LoadResult, type ModelCache } from './worker-loader';
import { checkSteps, runInnerLoop } from './worker-personalise';
import { candidates } from './worker-filters';
import { contextText, explanationText, rankRecommendations } from './worker-recommend';
import { channelName, HistoryCache, type ChangeChannel, type StoreChange } from './worker-history-cache';
import { openStore, type EventStore, type OpenStoreOptions, type PersonalWeightsRecord } from './worker-store';
import { type BackendName, type ConsentState, type ContextReason, type ExplainReason, type ExportedData, type LocalrecEvent, type Status, type StatusWarning, type StoredEvent, type WarningCode } from './types';

export interface RuntimeDeps {
  fetch: typeof fetch;
  /** `items`: the catalogue size the choice is measured for. */
  chooseBackend(requested: BackendName | 'auto', wasmPath: string | null, items: number): Promise<BackendChoice>;
  openModelCache(): Promise<ModelCache>;
  /** Defaults to the global IndexedDB. */
  indexedDB?: IDBFactory | null;
  emit(event: LocalrecEvent): void;
  /** Overrides for the federated client (tests: fake sleep and jitter). */
  federated?: Partial<FederatedClientDeps>;
  /** A channel to the other Workers on the same database (BroadcastChannel in the Worker); without it, none. */
  channel?(name: string): ChangeChannel;
}

/**
 * In related mode with history, the weight of the context item's similarity against the
 * shopper's own scores, both standardised (see blendScores). Measured by
 * bench/related-blend.ts on the synthetic shop's held-out users (docs/browser.md): 0.5 keeps
 * 80–84% of the list in the product's category at a next-item hit rate 0.02–0.03 below the
 * personal list's; 0.25 predicts the next item as well but 40–50% of it is other categories.
 */
export const RELATED_WEIGHT = 0.5;

interface Personal {
  tower: TowerParams;
  record: PersonalWeightsRecord;
}

export class WorkerRuntime {
  private params: WorkerInitParams | null = null;
  private backend: BackendChoice | null = null;
  private cache: ModelCache | null = null;
  private loaded: LoadResult | null = null;
  private catalogue: Catalogue | null = null;
  private session: ModelSession | null = null;
  private store: HistoryCache | null = null;
  private personal: Personal | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Bumped by forget(), so a personalisation that started before it never writes after it. */
  private generation = 0;
  private timings: Status['timings'] = { lastRecommendMs: null, lastPersonaliseMs: null };
  /**
   * Until the page says 'granted', nothing is stored or used (the page is not trusted to
   * check); federated uploads read this same state.
   */
  private consent: ConsentState = 'pending';
  private federated: FederatedClient | null = null;
  /** Consent requests away from 'granted' not yet applied: no upload starts meanwhile. */
  private withdrawals = 0;
  /** What the last init fell back from. */
  private warnings: StatusWarning[] = [];
  /** Item ids the shop marked unavailable (mirrors the store). */
  private unavailable = new Set<string>();
  /** Cosine over the catalogue's item output table, built on the first related-mode request. */
  private similarity: ItemSimilarity | null = null;

  constructor(private readonly deps: RuntimeDeps) {}

  /** One handler per protocol method. Params come from the page, which is not trusted: missing fields reach the methods, which validate values. */
  private readonly handlers: Handlers = {
    init: (p) => this.init(p),
    track: (p) => this.track(p?.events),
    recommend: async (p) => this.recommend(checkRecommendArg(p)),
    explain: async (p) => {
      const { item, options } = checkExplainArgs(p?.item, p?.options ?? {});
      return this.explain(item, options.n ?? 3, options.context);
    },
    personalise: async (p) => this.personalise(checkPersonaliseArg(p), 'demand'),
    forget: () => this.forget(),
    exportData: () => this.exportData(),
    status: () => this.status(),
    consent: (p) => this.setConsent(p?.state),
    setAvailability: (p) => this.setAvailability(p?.ids, p?.available),
  };

  /** Runs one request after every earlier one has finished. */
  handle<M extends Method>(req: RequestMessage<M>): Promise<Result<M>> {
    // A withdrawal stops uploads at once, not only when its turn in the queue comes
    // (a personalisation queued before it would otherwise still upload).
    const withdrawal = req.method === 'consent' && (req.params as Params<'consent'> | undefined)?.state !== 'granted';
    if (withdrawal) {
      this.withdrawals++;
      this.federated?.cancel();
    }
    const run = () => dispatch(this.handlers, req);
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    if (withdrawal) void this.queue.then(() => this.withdrawals--);
    return p;
  }

  private async init(params: WorkerInitParams): Promise<Result<'init'>> {
    this.consent = checkConsentArg(params?.consent);
    this.cache ??= await this.deps.openModelCache();
    this.configureFederated(params);
    const storeOpts: OpenStoreOptions = { dbName: params.dbName, maxEvents: params.maxEvents };
    if (params.storage === 'memory') {
      storeOpts.indexedDB = null;
      storeOpts.memoryReason = 'storage: "memory" was requested';
    } else if (this.deps.indexedDB !== undefined) storeOpts.indexedDB = this.deps.indexedDB;
    const sameStore = this.store && this.params?.dbName === params.dbName && this.params.storage === params.storage && this.params.maxEvents === params.maxEvents;
    const [loaded, store] = await Promise.all([
      loadModel(params.modelUrl, { fetch: this.deps.fetch, cache: this.cache, onEvent: (e) => this.deps.emit(e) }),
      sameStore ? Promise.resolve(this.store!) : openStore(storeOpts).then((s) => this.cachedStore(s, params.dbName)),
    ]);
    if (!sameStore) this.store?.close();
    // A start reads what is stored now, whoever wrote it.
    store.drop();
    this.store = store;
    this.loaded = loaded;
    const m = loaded.model.manifest;
    // Chosen once the model is known, so the probe measures scoring at this catalogue's size.
    if (!this.backend || this.params?.backend !== params.backend || this.params.wasmPath !== params.wasmPath) {
      this.backend = await this.deps.chooseBackend(params.backend, params.wasmPath, m.dims.items);
      this.deps.emit({ type: 'backend', backend: this.backend.name, probes: this.backend.probes });
    }
    this.params = params;
    this.deps.emit({ type: 'ready', modelVersion: m.modelVersion, source: loaded.source, loadMs: loaded.ms });
    // Stored state never stops start-up: what cannot be used becomes a warning in status().
    const warnings: StatusWarning[] = [];
    this.warnings = warnings;
    if (params.storage !== 'memory' && store.mode === 'memory') {
      warnings.push({ code: 'storage-fallback', message: `interactions are kept in memory for this page only: ${store.reason ?? 'IndexedDB is unavailable'}`, cause: null });
    }
    // Consent withdrawn while no page of this shop was open: delete now.
    if (this.consent === 'denied') await store.clear();
    let events: readonly StoredEvent[] = [];
    try {
      events = await store.all();
    } catch (e) {
      warnings.push(warning('events-unreadable', 'the stored interactions could not be read; starting without history (they were not deleted)', e));
    }
    this.rebuildSession(events);
    try {
      this.unavailable = new Set(await store.unavailable());
    } catch (e) {
      this.unavailable = new Set();
      warnings.push(warning('availability-unreadable', 'the stored item availability could not be read; every item counts as available', e));
    }

    this.personal = null;
    let rec: PersonalWeightsRecord | null = null;
    let unreadable = false;
    try {
      rec = await store.getWeights();
    } catch (e) {
      unreadable = true;
      warnings.push(warning('personal-weights-unreadable', 'the stored personal weights could not be read; using the shared model (they were not overwritten)', e));
    }
    const fits = rec !== null && rec.modelName === m.name && rec.modelVersion === m.modelVersion && rec.d === m.dims.d && rec.hidden === m.dims.hidden;
    if (rec && fits) {
      if (isUsableRecord(rec)) this.personal = { tower: unflattenTower(rec.params, rec.d, rec.hidden), record: rec };
      else warnings.push(warning('personal-weights-unreadable', 'the stored personal weights are damaged (wrong size or non-finite values); using the shared model', null));
    }
    // Weights from another model version (or damaged ones) mean nothing here; learn again from the stored interactions.
    if (!this.personal && !unreadable && (rec || events.length > 0) && this.consent === 'granted') {
      try {
        await this.personalise({}, 'model-updated');
      } catch (e) {
        this.personal = null;
        warnings.push(warning('repersonalise-failed', 'personalising for this model version failed; using the shared model', e));
      }
    }
    for (const w of warnings) this.deps.emit({ type: 'warning', warning: w });
    return this.status();
  }

  private configureFederated(params: WorkerInitParams): void {
    const cfg = params.federated ? checkFederatedConfig(params.federated) : null;
    const prev = this.federated?.status().endpoint;
    if (this.consent !== 'granted') this.federated?.cancel();
    // Re-init with the same endpoint keeps the client, so it still knows which round it sent.
    if (cfg && prev === cfg.endpoint && this.params?.federated?.token === cfg.token) return;
    this.federated?.cancel();
    this.federated = cfg ? new FederatedClient(cfg, { fetch: this.deps.fetch, ...this.deps.federated }) : null;
  }

  /**
   * After a personalisation: if consent is 'granted' and the shop configured a server, send
   * the device's update to the open round — one FOMAML step on its own older (support) and
   * newer (query) interactions (device-task.ts; the update the simulation measures), not
   * the personalisation's own delta, which made the shared model drift in simulation.
   */
  private async contribute(session: ModelSession, history: readonly IndexedEvent[]): Promise<void> {
    const fed = this.federated;
    if (!fed || this.consent !== 'granted' || this.withdrawals > 0 || !this.loaded) return;
    const m = this.loaded.model;
    const emit = (outcome: FederatedOutcome) => {
      const s = fed.status();
      this.deps.emit({ type: 'federated', outcome, roundId: s.lastRound, serverModelVersion: s.serverModelVersion });
    };
    const task = splitForUpdate(history, drawSupportSize(Math.random));
    if (!task) return emit(fed.skip('too-few-events'));
    const [user] = await session.metaStepTowers(m.weights.tower, [task], DEVICE_UPDATE.lr);
    void fed.contribute(m.manifest.modelVersion, user, m.weights.tower).then(emit);
  }

  /** The store with the events kept in memory; IndexedDB's is shared with the other tabs, so they hear of its changes. */
  private cachedStore(store: EventStore, dbName: string): HistoryCache {
    const channel = store.mode === 'indexeddb' && this.deps.channel ? this.deps.channel(channelName(dbName)) : null;
    const cached = new HistoryCache(store, channel);
    cached.onRemoteChange((change) => this.remoteChange(cached, change));
    return cached;
  }

  /**
   * Another tab wrote to the shared database. Its events are already re-read on the next
   * call; here the rest of what this Worker holds from the store follows.
   */
  private remoteChange(store: HistoryCache, change: StoreChange): void {
    if (change === 'cleared') {
      // As forget() here: a personalisation running now learned from erased events and must not write.
      this.generation++;
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
    }
    const run = async () => {
      if (store !== this.store || !this.loaded) return;
      if (change === 'availability') this.unavailable = new Set(await store.unavailable());
      else if (change === 'weights' || change === 'cleared') this.adoptWeights(await store.getWeights());
      // Content-embedded rows come and go with the events that describe them.
      if ((change === 'events' || change === 'cleared') && hasContentFeatures(this.loaded.model.weights)) {
        const events = await store.all();
        const { items, trained, index } = this.catalogue!;
        if (items.length > trained || events.some((e) => e.itemInfo && !index.has(e.item))) this.rebuildSession(events);
      }
    };
    // In turn with requests, so no request sees half of it; a failed read leaves what was held.
    this.queue = this.queue.then(run, run).catch(() => undefined);
  }

  /** Personal weights another tab stored: used when they fit this model; none stored means none here either. */
  private adoptWeights(rec: PersonalWeightsRecord | null): void {
    const m = this.loaded!.model.manifest;
    if (rec === null) this.personal = null;
    else if (rec.modelName === m.name && rec.modelVersion === m.modelVersion && rec.d === m.dims.d && rec.hidden === m.dims.hidden && isUsableRecord(rec)) {
      this.personal = { tower: unflattenTower(rec.params, rec.d, rec.hidden), record: rec };
    }
  }

  private requireReady(): { catalogue: Catalogue; session: ModelSession; store: HistoryCache; loaded: LoadResult } {
    if (!this.catalogue || !this.session || !this.store || !this.loaded) {
      throw new LocalrecError('model-not-loaded', 'no model loaded yet', {}, DEV ? 'call init() (createLocalrec does) and wait for it before using the recommender' : undefined);
    }
    return { catalogue: this.catalogue, session: this.session, store: this.store, loaded: this.loaded };
  }

  /** The model's catalogue plus content-embedded items the shopper met that the model does not know. */
  private rebuildSession(events: readonly StoredEvent[]): void {
    const model = this.loaded!.model;
    const extra: ItemMeta[] = [];
    if (hasContentFeatures(model.weights)) {
      for (const e of events) if (e.itemInfo) extra.push({ id: e.item, ...e.itemInfo });
    }
    this.catalogue = buildCatalogue(model, extra);
    this.session?.dispose();
    this.session = new ModelSession(this.catalogue.weights, model.config, this.backend!.scorer);
    this.similarity = null;
  }

  private itemSimilarity(catalogue: Catalogue): ItemSimilarity {
    const w = catalogue.weights;
    // The output table: on held-out shop users it finds the next item about twice as often as
    // the input table, with as many same-category items (bench/related-blend.ts).
    this.similarity ??= new ItemSimilarity(w.itemOut, w.n, w.d);
    return this.similarity;
  }

  private history(events: readonly StoredEvent[]): { history: IndexedEvent[]; used: StoredEvent[] } {
    const index = this.catalogue!.index;
    const history: IndexedEvent[] = [];
    const used: StoredEvent[] = [];
    for (const e of events) {
      const i = index.get(e.item);
      if (i === undefined) continue; // kept for a future model that knows the item
      if (!isUsableStoredEvent(e)) continue; // written by another schema version or damaged: kept, but never scored (it would be NaN)
      history.push({ index: i, type: e.type, ts: e.ts });
      used.push(e);
    }
    return { history, used };
  }

  private requireConsent(what: string): void {
    if (this.consent !== 'granted') throw new LocalrecError('consent-required', `${what} needs the shopper's consent`, { consent: this.consent });
  }

  /** Stored events, or none while consent is not granted or they cannot be read (recommendations then come from the shared model). */
  private async personalEvents(store: HistoryCache): Promise<readonly StoredEvent[]> {
    if (this.consent !== 'granted') return [];
    try {
      return await store.all();
    } catch {
      return [];
    }
  }

  private async setConsent(state: unknown): Promise<Result<'consent'>> {
    const next = checkConsentArg(state);
    const changed = next !== this.consent;
    this.consent = next;
    let result = { removedEvents: 0 };
    // No upload without consent: a running one stops now (also before init finished).
    if (next !== 'granted') this.federated?.cancel();
    if (next !== 'granted' && this.store) {
      this.generation++; // a personalisation already running must not write any more
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      if (next === 'denied') result = await this.forget();
    }
    if (changed || result.removedEvents > 0) this.deps.emit({ type: 'consent', state: next, ...result });
    return result;
  }

  private async track(input: unknown): Promise<Result<'track'>> {
    const { catalogue, store, loaded } = this.requireReady();
    this.requireConsent('track()');
    const events = validateEvents(input);
    if (events.length > store.maxEvents) {
      // Storing it would evict every stored interaction (and some of the batch itself).
      throw new LocalrecError('invalid-event', `a batch of ${events.length} events is more than the store keeps (maxEvents ${store.maxEvents})`, { events: events.length, max: store.maxEvents });
    }
    const content = hasContentFeatures(loaded.model.weights);
    let grows = false;
    for (const [i, e] of events.entries()) {
      if (catalogue.index.has(e.item)) continue;
      if (!content) {
        throw new LocalrecError(
          'unknown-item',
          `event ${i}: item "${e.item}" is not in model version ${loaded.model.manifest.modelVersion}`,
          { index: i, item: e.item },
          DEV ? 'this model has no content features, so it cannot embed new items from itemInfo; train one with content features or track only catalogue items' : undefined,
        );
      }
      if (e.itemInfo) grows = true;
    }
    const { stored, evicted } = await store.add(events);
    // Content-embedded rows come and go with the events that describe them; rebuild only then.
    const hadExtra = catalogue.items.length > catalogue.trained;
    if (grows || (evicted > 0 && hadExtra)) this.rebuildSession(await store.all());
    this.schedulePersonalise();
    return { stored: stored.length, evicted };
  }

  private schedulePersonalise(): void {
    const wait = this.params?.personaliseDebounceMs ?? 0;
    if (wait <= 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const run = async () => {
        if (this.consent === 'granted') await this.personalise({}, 'idle').catch(() => undefined);
      };
      this.queue = this.queue.then(run, run);
    }, wait);
  }

  private tower(): TowerParams {
    return this.personal?.tower ?? this.loaded!.model.weights.tower;
  }

  /**
   * Full-catalogue scores: the tower's for the history, or with a context item its
   * similarity to every item, blended with the tower's when there is history.
   */
  private async scoreItems(catalogue: Catalogue, session: ModelSession, history: IndexedEvent[], context: number | null): Promise<Float32Array> {
    const tower = this.consent === 'granted' ? this.tower() : this.loaded!.model.weights.tower;
    if (context === null) return session.scoreShared(tower, [history]);
    const related = this.itemSimilarity(catalogue).to(context);
    if (history.length === 0) return related;
    return blendScores(await session.scoreShared(tower, [history]), related, RELATED_WEIGHT);
  }

  private async recommend(opts: Params<'recommend'>): Promise<Result<'recommend'>> {
    const t0 = performance.now();
    const { catalogue, session, store, loaded } = this.requireReady();
    const events = await this.personalEvents(store);
    const c = candidates(opts, { items: catalogue.items, index: catalogue.index, events, unavailable: this.unavailable });
    const { history } = this.history(events);
    const personal = this.consent === 'granted' && this.personal !== null;
    const scores = await this.scoreItems(catalogue, session, history, c.context);
    const items = rankRecommendations(scores, catalogue.items, c.allowed, c.n);
    const mode = c.context !== null ? 'related' : history.length > 0 ? 'personal' : 'popular';
    const ms = performance.now() - t0;
    this.timings.lastRecommendMs = ms;
    return { items, modelVersion: loaded.model.manifest.modelVersion, personalised: personal, mode, unknownIds: c.unknownIds, ms };
  }

  private async explain(item: unknown, n: number, contextId?: string): Promise<Result<'explain'>> {
    const { catalogue, session, store, loaded } = this.requireReady();
    if (typeof item !== 'string') throw new LocalrecError('invalid-argument', 'explain() needs an item id');
    if (!Number.isInteger(n) || n < 1 || n > 50) throw new LocalrecError('invalid-argument', `n must be an integer from 1 to 50, got ${n}`);
    const target = catalogue.index.get(item);
    if (target === undefined) throw new LocalrecError('unknown-item', `item "${item}" is not in the catalogue`, { item });
    const { history, used } = this.history(await this.personalEvents(store));
    const tower = this.consent === 'granted' ? this.tower() : loaded.model.weights.tower;
    const a = attributeScore(catalogue.weights, tower, history, loaded.model.config.pooling, target);
    // One reason per (item, event type): three views of the same shoe are one reason.
    const grouped = new Map<string, ExplainReason>();
    used.forEach((e, j) => {
      const key = `${e.type}\u0000${e.item}`;
      const prev = grouped.get(key);
      const title = catalogue.items[catalogue.index.get(e.item)!].title;
      if (prev) {
        prev.contribution += a.contributions[j];
        prev.ts = Math.max(prev.ts, e.ts);
      } else grouped.set(key, { item: e.item, title, type: e.type, ts: e.ts, contribution: a.contributions[j] });
    });
    const reasons = [...grouped.values()].filter((r) => r.contribution > 0).sort((x, y) => y.contribution - x.contribution).slice(0, n);
    const meta = catalogue.items[target];
    // An unknown context is ignored, as recommend() ignores it.
    const ctx = contextId === undefined ? undefined : catalogue.index.get(contextId);
    if (ctx === undefined) return { item, title: meta.title, score: a.score, reasons, context: null, text: explanationText(reasons) };
    const ctxMeta = catalogue.items[ctx];
    const shared = ctxMeta.categories.some((c) => meta.categories.includes(c));
    const context: ContextReason = {
      item: ctxMeta.id,
      title: ctxMeta.title,
      similarity: this.itemSimilarity(catalogue).pair(ctx, target),
      relation: shared ? 'similar' : 'together',
    };
    const score = (await this.scoreItems(catalogue, session, history, ctx))[target];
    const text = [contextText(context), explanationText(reasons)].filter(Boolean).join('. ');
    return { item, title: meta.title, score, reasons, context, text };
  }

  private knownUnavailable(): number {
    const index = this.catalogue?.index;
    let n = 0;
    if (index) for (const id of this.unavailable) if (index.has(id)) n++;
    return n;
  }

  private async setAvailability(ids: unknown, available: unknown): Promise<Result<'setAvailability'>> {
    const { catalogue, store } = this.requireReady();
    const args = checkAvailabilityArgs(ids, available);
    const known = new Set<string>();
    const unknown = new Set<string>();
    for (const id of args.ids) (catalogue.index.has(id) ? known : unknown).add(id);
    await store.setAvailability([...known], args.available);
    for (const id of known) {
      if (args.available) this.unavailable.delete(id);
      else this.unavailable.add(id);
    }
    return { updated: known.size, unknownIds: unknown.size };
  }

  private async personalise(opts: Params<'personalise'>, reason: 'idle' | 'demand' | 'model-updated'): Promise<Result<'personalise'>> {
    const { session, store, loaded } = this.requireReady();
    this.requireConsent('personalise()');
    checkSteps(opts.steps);
    const generation = this.generation;
    const m = loaded.model.manifest;
    // From IndexedDB, not memory: what it learns is stored, so it must not learn from events another tab just erased.
    const { history } = this.history(await store.read());
    if (history.length === 0) {
      this.personal = null;
      await store.deleteWeights();
      return { steps: 0, events: 0, modelVersion: m.modelVersion, ms: 0, personalised: false };
    }
    const run = await runInnerLoop(session, history, opts.steps);
    if (generation !== this.generation) {
      // forget() came first: learning from erased interactions must leave no trace.
      return { steps: 0, events: 0, modelVersion: m.modelVersion, ms: 0, personalised: false };
    }
    const record: PersonalWeightsRecord = {
      key: 'current',
      modelName: m.name,
      modelVersion: m.modelVersion,
      steps: run.steps,
      lr: run.lr,
      events: history.length,
      trainedAt: Date.now(),
      d: m.dims.d,
      hidden: m.dims.hidden,
      params: flattenTower(run.tower),
      ms: run.ms,
    };
    await store.putWeights(record);
    this.personal = { tower: run.tower, record };
    this.timings.lastPersonaliseMs = run.ms;
    const result: Result<'personalise'> = { steps: run.steps, events: history.length, modelVersion: m.modelVersion, ms: run.ms, personalised: true };
    this.deps.emit({ type: 'personalised', result, reason });
    await this.contribute(session, history);
    return result;
  }

  private async forget(): Promise<Result<'forget'>> {
    const { store } = this.requireReady();
    this.generation++;
    this.federated?.cancel();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const removedEvents = await store.clear();
    this.personal = null;
    this.rebuildSession([]);
    return { removedEvents };
  }

  private async exportData(): Promise<Result<'exportData'>> {
    const { store } = this.requireReady();
    const [events, rec] = await Promise.all([store.all(), store.getWeights()]);
    let personalWeights: ExportedData['personalWeights'] = null;
    if (rec) {
      const { modelName, modelVersion, steps, lr, events: n, trainedAt, params } = rec;
      personalWeights = { modelName, modelVersion, steps, lr, events: n, trainedAt, params: Array.from(params) };
    }
    return { format: 'localrec-export', version: 1, exportedAt: new Date().toISOString(), events: [...events], personalWeights };
  }

  private memory(): Status['memory'] {
    const w = this.catalogue?.weights;
    const modelBytes = w ? w.itemIn.byteLength + w.itemOut.byteLength + w.itemBias.byteLength + w.contentProj.byteLength : 0;
    return { tfjsBytes: this.backend?.tfjsBytes() ?? 0, modelBytes };
  }

  private async status(): Promise<Status> {
    const loaded = this.loaded;
    const rec = this.personal?.record ?? null;
    return {
      ready: this.session !== null,
      consent: this.consent,
      backend: this.backend ? { name: this.backend.name, forced: this.backend.forced, probes: this.backend.probes, initMs: this.backend.initMs } : null,
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
      storage: this.store
        ? { mode: this.store.mode, reason: this.store.reason, events: await this.store.count(), maxEvents: this.store.maxEvents, unavailable: this.knownUnavailable() }
        : null,
      personal: rec
        ? { modelName: rec.modelName, modelVersion: rec.modelVersion, steps: rec.steps, lr: rec.lr, events: rec.events, trainedAt: rec.trainedAt, ms: rec.ms }
        : null,
      timings: { ...this.timings },
      memory: this.memory(),
      federated: this.federated?.status() ?? null,
      warnings: this.warnings.map((w) => ({ ...w })),
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

/** A stored record this SDK can pool: a known event type and a finite timestamp. */
function isUsableStoredEvent(e: StoredEvent): boolean {
  return (EVENT_TYPES as readonly unknown[]).includes(e.type) && typeof e.ts === 'number' && Number.isFinite(e.ts);
}

function warning(code: WarningCode, message: string, cause: unknown): StatusWarning {
  if (cause === null || cause === undefined) return { code, message, cause: null };
  const err = cause instanceof LocalrecError ? cause : new LocalrecError('store-unavailable', cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause));
  return { code, message, cause: err.toJSON() };
}

/** Personal weights as they must be to use: the right length for their dims, every value finite. */
function isUsableRecord(rec: PersonalWeightsRecord): boolean {
  return rec.params instanceof Float32Array && rec.params.length === towerSize(rec.d, rec.hidden) && rec.params.every(Number.isFinite);
}
