// idb's wrap() recognises requests by the global IDB classes, so install them; each test still uses its own factory.
import 'fake-indexeddb/auto';
import { IDBFactory, IDBObjectStore as FakeObjectStore } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ValidEvent } from '../../../src/browser/worker-events';
import { channelName, HistoryCache, type StoreChange } from '../../../src/browser/worker-history-cache';
import { openStore, type EventStore } from '../../../src/browser/worker-store';
import { ChannelHub } from './fake-channel';

const T0 = Date.UTC(2024, 0, 1);
const ev = (item: string, i: number, type: ValidEvent['type'] = 'view'): ValidEvent => ({ item, type, ts: T0 + i * 1000 });

/** Two Workers (tabs) on one database, each with its cache, and a counter of the reads that reach IndexedDB. */
async function twoTabs(maxEvents = 100) {
  const idb = new IDBFactory();
  const hub = new ChannelHub();
  const open = async () => {
    const store = await openStore({ dbName: 'db', maxEvents, indexedDB: idb });
    const reads = vi.spyOn(store, 'all');
    return { store, reads, cache: new HistoryCache(store, hub.channel(channelName('db'))) };
  };
  return { idb, hub, a: await open(), b: await open() };
}

/** Writes a record straight into the database, as a test or another SDK version might. */
async function writeBehind(idb: IDBFactory, record: object): Promise<void> {
  const db = await new Promise<IDBDatabase>((res, rej) => {
    const r = idb.open('db');
    r.onsuccess = () => res(r.result);
    r.onerror = () => rej(r.error);
  });
  const tx = db.transaction('events', 'readwrite');
  tx.objectStore('events').add(record);
  await new Promise((res) => (tx.oncomplete = res));
  db.close();
}

describe('the Worker-side copy of the stored events', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reads IndexedDB once, then answers from memory, and its own writes keep it equal to the database', async () => {
    const { a } = await twoTabs();
    await a.cache.add([ev('x', 2)]);
    expect((await a.cache.all()).map((e) => e.item)).toEqual(['x']);
    expect((await a.cache.all()).map((e) => e.item)).toEqual(['x']);
    expect(a.reads).toHaveBeenCalledTimes(1);
    await a.cache.add([ev('y', 3), ev('w', 1, 'purchase')]);
    expect(await a.cache.all()).toEqual(await a.store.all());
    expect(await a.cache.count()).toBe(3);
    expect(await a.cache.clear()).toBe(3);
    expect(await a.cache.all()).toEqual([]);
    expect(a.reads).toHaveBeenCalledTimes(2); // the first read and the comparison above: writes updated the copy in place
  });

  it('evicts from the copy exactly what the store evicts, older batches and the cap included', async () => {
    const { a } = await twoTabs(7);
    await a.cache.all();
    // A seeded walk of batches, some older than what is stored, some larger than the room left.
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let step = 0; step < 40; step++) {
      const batch = Array.from({ length: 1 + Math.floor(rand() * 5) }, (_, k) => ev(`s${step}-${k}`, Math.floor(rand() * 60)));
      await a.cache.add(batch);
      const inMemory = await a.cache.all();
      expect(inMemory, `after batch ${step}`).toEqual(await a.store.all());
    }
    // One read to start, then only the comparisons: every write updated the copy in place.
    expect(a.reads).toHaveBeenCalledTimes(41);
  });

  it('drops the copy when a write fails, so it is never ahead of the database', async () => {
    const { a } = await twoTabs();
    await a.cache.add([ev('kept', 1)]);
    await a.cache.all();
    vi.spyOn(FakeObjectStore.prototype, 'add').mockImplementation(() => {
      throw new DOMException('full', 'QuotaExceededError');
    });
    const err = await a.cache.add([ev('never', 2)]).catch((e: unknown) => e);
    expect(err).toHaveCode('store-quota-exceeded');
    vi.mocked(FakeObjectStore.prototype.add).mockRestore();
    a.reads.mockClear();
    expect((await a.cache.all()).map((e) => e.item)).toEqual(['kept']);
    expect(a.reads).toHaveBeenCalledTimes(1);
  });

  it('shows records written behind its back once dropped, and drops (deletes and counts) those of another schema', async () => {
    const { idb, a } = await twoTabs();
    await a.cache.add([ev('mine', 1)]);
    await a.cache.all();
    await writeBehind(idb, { item: 'old', type: 'click', ts: 'yesterday' });
    await writeBehind(idb, { item: 'dated', type: 'view', ts: new Date(T0) });
    await writeBehind(idb, { item: 'theirs', type: 'view', ts: T0 + 1500 });
    a.cache.drop();
    expect((await a.cache.all()).map((e) => e.item)).toEqual(['mine', 'theirs']);
    expect(a.cache.dropped.events).toBe(2);
    await a.cache.add([ev('new', 2)]);
    expect((await a.cache.all()).map((e) => e.item)).toEqual(['mine', 'theirs', 'new']);
    expect(await a.cache.all()).toEqual(await a.store.all());
    expect(a.cache.dropped.events).toBe(2);
  });

  it('drops the other tab\u2019s copy after each write and tells it what changed', async () => {
    const { hub, a, b } = await twoTabs();
    const heard: StoreChange[] = [];
    b.cache.onRemoteChange((c) => heard.push(c));
    expect(await b.cache.all()).toEqual([]);
    await a.cache.add([ev('x', 1)]);
    await hub.delivered();
    expect((await b.cache.all()).map((e) => e.item)).toEqual(['x']);
    await a.cache.setAvailability(['x'], false);
    await a.cache.deleteWeights();
    await a.cache.clear();
    await hub.delivered();
    expect(await b.cache.all()).toEqual([]);
    expect(heard).toEqual(['events', 'availability', 'weights', 'cleared']);
    // Its own writes are not echoed back to it.
    expect(a.reads).toHaveBeenCalledTimes(0);
  });

  it('drops the copy when a newer SDK upgrades the database, instead of serving it from a closed one', async () => {
    const { idb, a } = await twoTabs();
    await a.cache.add([ev('x', 1)]);
    await a.cache.all();
    await new Promise<void>((res, rej) => {
      const r = idb.open('db', 99);
      r.onsuccess = () => (r.result.close(), res());
      r.onerror = () => rej(r.error);
    });
    const err = await a.cache.all().catch((e: unknown) => e);
    expect((err as DOMException).name).toBe('InvalidStateError');
  });

  it('reads IndexedDB on every call when no channel can tell it about other tabs', async () => {
    const store: EventStore = await openStore({ dbName: 'db', maxEvents: 10, indexedDB: new IDBFactory() });
    const reads = vi.spyOn(store, 'all');
    const cache = new HistoryCache(store, null);
    await cache.add([ev('x', 1)]);
    await cache.all();
    await cache.all();
    expect(reads).toHaveBeenCalledTimes(2);
  });
});
