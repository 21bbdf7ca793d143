/**
 * Start-up and recovery: opens the model cache and the interaction store, loads and
 * verifies the model, chooses the backend for its size, and reads what is stored. Stored
 * state never stops start-up: what cannot be read becomes a warning for status(), and the
 * rest is used.
 */
import { LocalrecError } from '../errors';
import type { WorkerInitParams } from './protocol';
import type { BackendName, ConsentState, LocalrecEvent, StatusWarning, StoredEvent, WarningCode } from './types';
import type { BackendChoice } from './worker-backend';
import { channelName, HistoryCache, type ChangeChannel, type StoreChange } from './worker-history-cache';
import { loadModel, type LoadResult, type ModelCache } from './worker-loader';
import { openStore, type EventStore, type OpenStoreOptions, type PersonalWeightsRecord } from './worker-store';

export interface StartupDeps {
  fetch: typeof fetch;
  /** `items`: the catalogue size the choice is measured for. */
  chooseBackend(requested: BackendName | 'auto', wasmPath: string | null, items: number): Promise<BackendChoice>;
  openModelCache(): Promise<ModelCache>;
  /** Defaults to the global IndexedDB. */
  indexedDB?: IDBFactory | null;
  emit(event: LocalrecEvent): void;
  /** A channel to the other Workers on the same database (BroadcastChannel in the Worker); without it, none. */
  channel?(name: string): ChangeChannel;
}

/** What one start found: the model, the backend, the store and what it holds. */
export interface Started {
  loaded: LoadResult;
  backend: BackendChoice;
  store: HistoryCache;
  events: readonly StoredEvent[];
  unavailable: readonly string[];
  /** The stored personal weights; `unreadable` when reading them failed (then they must not be overwritten). */
  weights: { record: PersonalWeightsRecord | null; unreadable: boolean };
  warnings: StatusWarning[];
}

export class Startup {
  #params: WorkerInitParams | null = null;
  #cache: ModelCache | null = null;
  backend: BackendChoice | null = null;
  store: HistoryCache | null = null;

  readonly #deps: StartupDeps;
  /** Another tab wrote to the shared database. */
  readonly #onRemoteChange: (store: HistoryCache, change: StoreChange) => void;

  constructor(deps: StartupDeps, onRemoteChange: (store: HistoryCache, change: StoreChange) => void) {
    this.#deps = deps;
    this.#onRemoteChange = onRemoteChange;
  }

  get debounceMs(): number {
    return this.#params?.personaliseDebounceMs ?? 0;
  }

  async start(params: WorkerInitParams, consent: ConsentState): Promise<Started> {
    this.#cache ??= await this.#deps.openModelCache();
    const sameStore = this.store && this.#params?.dbName === params.dbName && this.#params.storage === params.storage && this.#params.maxEvents === params.maxEvents;
    const [loaded, store] = await Promise.all([
      loadModel(params.modelUrl, { fetch: this.#deps.fetch, cache: this.#cache, onEvent: (e) => this.#deps.emit(e) }),
      sameStore ? Promise.resolve(this.store!) : openStore(this.#storeOptions(params)).then((s) => this.#cachedStore(s, params.dbName)),
    ]);
    if (!sameStore) this.store?.close();
    // A start reads what is stored now, whoever wrote it.
    store.drop();
    this.store = store;
    const m = loaded.model.manifest;
    // Chosen once the model is known, so the probe measures scoring at this catalogue's size.
    if (!this.backend || this.#params?.backend !== params.backend || this.#params.wasmPath !== params.wasmPath) {
      this.backend = await this.#deps.chooseBackend(params.backend, params.wasmPath, m.dims.items);
      this.#deps.emit({ type: 'backend', backend: this.backend.name, source: this.backend.source, probes: this.backend.probes });
    }
    this.#params = params;
    this.#deps.emit({ type: 'ready', modelVersion: m.modelVersion, source: loaded.source, loadMs: loaded.ms });
    const warnings: StatusWarning[] = [];
    if (params.storage !== 'memory' && store.mode === 'memory') {
      warnings.push({ code: 'storage-fallback', message: `interactions are kept in memory for this page only: ${store.reason ?? 'IndexedDB is unavailable'}`, cause: null });
    }
    // Consent withdrawn while no page of this shop was open: delete now.
    if (consent === 'denied') await store.clear(true);
    // This page's start with consent lifts a denial another tab recorded (the latest decision wins).
    else if (consent === 'granted') await store.grant().catch(() => undefined); // failing, the denial stays: the safe side
    return { loaded, backend: this.backend, store, warnings, ...(await readStored(store, warnings)) };
  }

  /**
   * Loads the model again from the URL of the last start (a newer version may be out there),
   * as a start would; the store and the backend stay as they are.
   */
  async reload(): Promise<LoadResult> {
    if (!this.#params || !this.#cache) throw new LocalrecError('model-not-loaded', 'no model loaded yet');
    return loadModel(this.#params.modelUrl, { fetch: this.#deps.fetch, cache: this.#cache, onEvent: (e) => this.#deps.emit(e) });
  }

  #storeOptions(params: WorkerInitParams): OpenStoreOptions {
    const opts: OpenStoreOptions = { dbName: params.dbName, maxEvents: params.maxEvents };
    if (params.storage === 'memory') {
      opts.indexedDB = null;
      opts.memoryReason = 'storage: "memory" was requested';
    } else if (this.#deps.indexedDB !== undefined) opts.indexedDB = this.#deps.indexedDB;
    return opts;
  }

  /** The store with the events kept in memory; IndexedDB's is shared with the other tabs, so they hear of its changes. */
  #cachedStore(store: EventStore, dbName: string): HistoryCache {
    const channel = store.mode === 'indexeddb' && this.#deps.channel ? this.#deps.channel(channelName(dbName)) : null;
    const cached = new HistoryCache(store, channel);
    cached.onRemoteChange((change) => this.#onRemoteChange(cached, change));
    return cached;
  }
}

/** Events, availability and personal weights, each read on its own: one that fails becomes a warning. */
async function readStored(store: HistoryCache, warnings: StatusWarning[]): Promise<Pick<Started, 'events' | 'unavailable' | 'weights'>> {
  const read = async <T>(what: () => Promise<T>, fallback: T, code: WarningCode, message: string): Promise<{ value: T; failed: boolean }> => {
    try {
      return { value: await what(), failed: false };
    } catch (e) {
      warnings.push(warning(code, message, e));
      return { value: fallback, failed: true };
    }
  };
  const events = await read(() => store.all(), [], 'events-unreadable', 'the stored interactions could not be read; starting without history (they were not deleted)');
  const unavailable = await read(() => store.unavailable(), [], 'availability-unreadable', 'the stored item availability could not be read; every item counts as available');
  const weights = await read(() => store.getWeights(), null, 'personal-weights-unreadable', 'the stored personal weights could not be read; using the shared model (they were not overwritten)');
  const { events: e, personal: p, unavailable: u } = store.dropped;
  if (e + p + u > 0) {
    const parts = [e && `${e} interaction${e === 1 ? '' : 's'}`, p && 'the personal weights', u && `${u} availability record${u === 1 ? '' : 's'}`].filter(Boolean);
    warnings.push(warning('stored-records-dropped', `stored records without the shape this SDK writes were deleted (${parts.join(', ')}); the rest are used`, null));
  }
  return { events: events.value, unavailable: unavailable.value, weights: { record: weights.value, unreadable: weights.failed } };
}

export function warning(code: WarningCode, message: string, cause: unknown): StatusWarning {
  if (cause === null || cause === undefined) return { code, message, cause: null };
  const err = cause instanceof LocalrecError ? cause : new LocalrecError('store-unavailable', cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause));
  return { code, message, cause: err.toJSON() };
}
