/**
 * The shopper's interactions and personal weights, on the device only.
 *
 * IndexedDB through `idb`, with a versioned schema; a size cap with oldest-first
 * eviction; quota errors handled by evicting and retrying once; and an in-memory fallback
 * (same interface, worker-store-memory.ts) where IndexedDB is unavailable, e.g. in some
 * private-browsing modes; the records and the interface are in worker-store-contract.ts.
 * The store takes events already validated at the Worker's boundary (WorkerRuntime.track,
 * the only writer) and writes each batch in one transaction, so a failed write loses
 * nothing already stored.
 */
import { wrap, type DBSchema, type IDBPDatabase } from 'idb';
import { LocalrecError } from '../errors';
import { isStoredEvent, isStoredWeights } from './schemas';
import type { ValidEvent } from './worker-events';
import type { StoredEvent } from './types';
import { toStored, type DroppedRecords, type EventStore, type LearnedFrom, type PersonalWeightsRecord, type UnavailableRecord } from './worker-store-contract';
import { MemoryStore } from './worker-store-memory';

export type { DroppedRecords, EventStore, LearnedFrom, PersonalWeightsRecord, UnavailableRecord } from './worker-store-contract';

/**
 * Schema version. 2 is the first released schema (1 was an unreleased prototype, so no
 * store holds it): `events` keyed by `seq` and indexed by timestamp for eviction, and
 * `personal`. 3 adds `unavailable`: the item ids the shop marked sold out (shop data,
 * kept by clear()). A future version adds a step to `upgrade`.
 */
export const DB_VERSION = 3;

interface LocalrecDB extends DBSchema {
  events: { key: number; value: StoredEvent; indexes: { 'by-ts': number } };
  personal: { key: string; value: PersonalWeightsRecord | DeniedRecord };
  unavailable: { key: string; value: UnavailableRecord };
}

/**
 * Forget and denial across tabs (the promise is per browser profile, not per tab). Weights
 * are written only while the newest event they were learned from is still stored (event
 * keys are never reused, so a clear() in any tab since makes the write a no-op), and events
 * and weights only while no denial is recorded; each check runs in the write's own
 * transaction, so a forget or a denial in one tab wins over work in flight in every other.
 * The denial is a record of the `personal` store under its own key, there only while denied
 * (a forget leaves nothing behind); no schema version is needed.
 */
const DENIED_KEY = 'denied';
interface DeniedRecord {
  key: typeof DENIED_KEY;
}

export interface OpenStoreOptions {
  dbName: string;
  maxEvents: number;
  /** The IndexedDB factory; defaults to the global one. null forces the in-memory store. */
  indexedDB?: IDBFactory | null;
  /** Why the caller chose memory (e.g. the `storage: 'memory'` option), reported by status(). */
  memoryReason?: string;
}

export async function openStore(opts: OpenStoreOptions): Promise<EventStore> {
  if (!Number.isInteger(opts.maxEvents) || opts.maxEvents < 1) {
    throw new LocalrecError('invalid-argument', `maxEvents must be a positive integer, got ${opts.maxEvents}`);
  }
  let factory: IDBFactory | null | undefined;
  try {
    // Reading the global itself throws a SecurityError where site storage is blocked (Chromium).
    factory = opts.indexedDB === undefined ? globalThis.indexedDB : opts.indexedDB;
  } catch (e) {
    return new MemoryStore(opts.maxEvents, `IndexedDB is blocked: ${errorText(e)}`);
  }
  if (!factory) return new MemoryStore(opts.maxEvents, opts.memoryReason ?? 'IndexedDB is not available in this context');
  try {
    const db = await openDatabase(factory, opts.dbName);
    return new IdbStore(db, opts.maxEvents);
  } catch (e) {
    // Private modes throw (InvalidStateError, SecurityError) or refuse to open; keep working in memory.
    return new MemoryStore(opts.maxEvents, `IndexedDB could not be opened: ${errorText(e)}`);
  }
}

function errorText(e: unknown): string {
  return e instanceof Error || e instanceof DOMException ? `${e.name}: ${e.message}` : String(e);
}

/** Same as idb's openDB, but with an injectable factory (tests, other realms). */
async function openDatabase(factory: IDBFactory, name: string): Promise<IDBPDatabase<LocalrecDB>> {
  const request = factory.open(name, DB_VERSION);
  request.addEventListener('upgradeneeded', (event) => upgrade(wrap(request.result) as unknown as IDBPDatabase<LocalrecDB>, event.oldVersion));
  const db = (await wrap(request)) as unknown as IDBPDatabase<LocalrecDB>;
  // Another tab (or a newer SDK) wants to upgrade: step aside instead of blocking it.
  db.addEventListener('versionchange', () => db.close());
  return db;
}

/** Brings a database from `oldVersion` (0 = new) to DB_VERSION, one step per version. */
function upgrade(db: IDBPDatabase<LocalrecDB>, oldVersion: number): void {
  if (oldVersion < 2) {
    db.createObjectStore('events', { keyPath: 'seq', autoIncrement: true }).createIndex('by-ts', 'ts');
    db.createObjectStore('personal', { keyPath: 'key' });
  }
  if (oldVersion < 3) db.createObjectStore('unavailable', { keyPath: 'item' });
}

function isQuotaError(e: unknown): boolean {
  return e instanceof DOMException ? e.name === 'QuotaExceededError' : (e as { name?: string } | null)?.name === 'QuotaExceededError';
}

class IdbStore implements EventStore {
  readonly mode = 'indexeddb' as const;
  readonly reason = null;
  readonly dropped: DroppedRecords = { events: 0, personal: 0, unavailable: 0 };
  constructor(
    private readonly db: IDBPDatabase<LocalrecDB>,
    readonly maxEvents: number,
  ) {}

  async add(input: readonly ValidEvent[]): Promise<{ stored: StoredEvent[]; evicted: number }> {
    const events = input.map(toStored);
    if (events.length === 0) return { stored: [], evicted: 0 };
    try {
      return await this.write(events, 0);
    } catch (e) {
      if (!isQuotaError(e)) throw e;
      // Out of space: drop the oldest tenth (at least the batch) and try once more.
      const extra = Math.max(events.length, Math.ceil(this.maxEvents / 10));
      try {
        return await this.write(events, extra);
      } catch (e2) {
        if (!isQuotaError(e2)) throw e2;
        throw new LocalrecError('store-quota-exceeded', 'the browser refused to store more interactions (storage quota exceeded), even after evicting the oldest ones', {
          events: events.length,
        });
      }
    }
  }

  /** One transaction: the batch and its evictions land together or not at all. */
  private async write(events: Omit<StoredEvent, 'seq'>[], extraEvictions: number): Promise<{ stored: StoredEvent[]; evicted: number }> {
    const tx = this.db.transaction(['events', 'personal'], 'readwrite');
    if ((await tx.objectStore('personal').get(DENIED_KEY)) !== undefined) {
      tx.abort();
      await tx.done.catch(() => undefined);
      throw new LocalrecError('consent-required', 'consent was denied in another tab of this shop; nothing is stored', { consent: 'denied' });
    }
    const store = tx.objectStore('events');
    const stored: StoredEvent[] = [];
    for (const e of events) {
      const seq = await store.add(e as StoredEvent);
      stored.push({ ...e, seq });
    }
    const excess = Math.max(0, (await store.count()) - this.maxEvents) + extraEvictions;
    let evicted = 0;
    if (excess > 0) {
      let cursor = await store.index('by-ts').openCursor();
      while (cursor && evicted < excess) {
        await cursor.delete();
        evicted++;
        cursor = await cursor.continue();
      }
    }
    await tx.done;
    const gone = new Set<number>();
    if (evicted > 0) {
      // A batch older than what is stored can evict some of its own events.
      const keys = new Set(await this.db.getAllKeys('events'));
      for (const s of stored) if (!keys.has(s.seq)) gone.add(s.seq);
    }
    return { stored: stored.filter((s) => !gone.has(s.seq)), evicted };
  }

  /**
   * Every record is checked against the schema that wrote it (schemas.ts): one that does not
   * fit is dropped — deleted and counted in `dropped` — and the rest are used.
   */
  async all(): Promise<StoredEvent[]> {
    const records: unknown[] = await this.db.getAllFromIndex('events', 'by-ts');
    const good = records.filter(isStoredEvent);
    if (good.length < records.length) {
      const bad = records.filter((r) => !isStoredEvent(r)).map((r) => (r as { seq?: unknown } | null)?.seq);
      this.dropped.events += bad.length;
      await this.#deleteKeys('events', bad);
    }
    return good;
  }

  /** Deletes damaged records by key; a key that is no valid key (so no record has it) is skipped. */
  async #deleteKeys(name: 'events' | 'personal' | 'unavailable', keys: unknown[]): Promise<void> {
    const tx = this.db.transaction(name, 'readwrite');
    const store = tx.objectStore(name) as unknown as { delete(key: IDBValidKey): Promise<void> };
    for (const key of keys) {
      try {
        void store.delete(key as IDBValidKey).catch(() => undefined);
      } catch {
        // not a key: nothing stored under it
      }
    }
    await tx.done;
  }

  count(): Promise<number> {
    return this.db.count('events');
  }

  async getWeights(): Promise<PersonalWeightsRecord | null> {
    const rec: unknown = await this.db.get('personal', 'current');
    if (rec === undefined) return null;
    if (isStoredWeights(rec)) return rec as PersonalWeightsRecord;
    this.dropped.personal++;
    await this.#deleteKeys('personal', ['current']);
    return null;
  }

  async grant(): Promise<void> {
    await this.db.delete('personal', DENIED_KEY);
  }

  async putWeights(record: PersonalWeightsRecord, from: LearnedFrom): Promise<boolean> {
    try {
      const tx = this.db.transaction(['events', 'personal'], 'readwrite');
      const [learned, denied] = await Promise.all([tx.objectStore('events').getKey(from.seq), tx.objectStore('personal').get(DENIED_KEY)]);
      // Learned from events a forget (in any tab) has erased since, or consent is denied: write nothing.
      if (learned === undefined || denied !== undefined) {
        await tx.done;
        return false;
      }
      await tx.objectStore('personal').put(record);
      await tx.done;
      return true;
    } catch (e) {
      if (isQuotaError(e)) throw new LocalrecError('store-quota-exceeded', 'the browser refused to store the personal weights (storage quota exceeded)');
      throw e;
    }
  }

  deleteWeights(): Promise<void> {
    return this.db.delete('personal', 'current');
  }

  async clear(deny = false): Promise<number> {
    const tx = this.db.transaction(['events', 'personal'], 'readwrite');
    const personal = tx.objectStore('personal');
    const [n, denied] = await Promise.all([tx.objectStore('events').count(), personal.get(DENIED_KEY)]);
    await Promise.all([tx.objectStore('events').clear(), personal.clear()]);
    if (deny || denied !== undefined) await personal.put({ key: DENIED_KEY });
    await tx.done;
    return n;
  }

  async unavailable(): Promise<string[]> {
    const keys: unknown[] = await this.db.getAllKeys('unavailable');
    const ids = keys.filter((k): k is string => typeof k === 'string');
    if (ids.length < keys.length) {
      this.dropped.unavailable += keys.length - ids.length;
      await this.#deleteKeys('unavailable', keys.filter((k) => typeof k !== 'string'));
    }
    return ids;
  }

  async setAvailability(ids: readonly string[], available: boolean): Promise<void> {
    const tx = this.db.transaction('unavailable', 'readwrite');
    const store = tx.objectStore('unavailable');
    const since = Date.now();
    try {
      await Promise.all([...ids.map((item) => (available ? store.delete(item) : store.put({ item, since }))), tx.done]);
    } catch (e) {
      if (isQuotaError(e)) throw new LocalrecError('store-quota-exceeded', 'the browser refused to store the item availability (storage quota exceeded)');
      throw e;
    }
  }

  onVersionChange(fn: () => void): void {
    this.db.addEventListener('versionchange', fn);
  }

  close(): void {
    this.db.close();
  }
}
