// idb's wrap() recognises requests by the global IDB classes, so install them; each test still uses its own factory.
import 'fake-indexeddb/auto';
import { IDBFactory, IDBObjectStore as FakeObjectStore } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ValidEvent } from '../../../src/browser/worker-events';
import { openStore, type PersonalWeightsRecord } from '../../../src/browser/worker-store';

const T0 = Date.UTC(2024, 0, 1);
const ev = (item: string, i: number, type: ValidEvent['type'] = 'view'): ValidEvent => ({ item, type, ts: T0 + i * 1000 });

function weights(version: number): PersonalWeightsRecord {
  return { key: 'current', modelName: 'm', modelVersion: version, steps: 5, lr: 0.05, events: 3, trainedAt: T0, d: 2, hidden: 1, params: new Float32Array([1, 2, 3, 4, 5, 6, 7]), ms: 1 };
}

describe('the IndexedDB interaction store', () => {
  afterEach(() => vi.restoreAllMocks());

  it('stores events and returns them oldest first, whatever order they arrived in', async () => {
    const store = await openStore({ dbName: 'a', maxEvents: 100, indexedDB: new IDBFactory() });
    expect(store.mode).toBe('indexeddb');
    await store.add([ev('x', 5), ev('y', 1)]);
    await store.add([ev('z', 3, 'purchase')]);
    expect((await store.all()).map((e) => e.item)).toEqual(['y', 'z', 'x']);
    expect(await store.count()).toBe(3);
  });

  it('evicts the oldest events first once the cap is reached', async () => {
    const store = await openStore({ dbName: 'c', maxEvents: 3, indexedDB: new IDBFactory() });
    await store.add([ev('e2', 2), ev('e3', 3), ev('e4', 4)]);
    const r = await store.add([ev('e5', 5), ev('e1', 1)]);
    expect(r.evicted).toBe(2);
    expect(r.stored.map((e) => e.item)).toEqual(['e5']);
    expect((await store.all()).map((e) => e.item)).toEqual(['e3', 'e4', 'e5']);
  });

  it('answers a quota error by evicting old events and retrying, and reports a typed error when that is not enough', async () => {
    const store = await openStore({ dbName: 'd', maxEvents: 20, indexedDB: new IDBFactory() });
    await store.add(Array.from({ length: 10 }, (_, i) => ev(`old${i}`, i)));
    const realAdd = FakeObjectStore.prototype.add;
    const spy = vi.spyOn(FakeObjectStore.prototype, 'add').mockImplementationOnce(function (this: IDBObjectStore) {
      throw new DOMException('full', 'QuotaExceededError');
    });
    spy.mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['add']>) {
      return realAdd.apply(this, args);
    });
    const r = await store.add([ev('new', 50)]);
    expect(r.stored.map((e) => e.item)).toEqual(['new']);
    const items = (await store.all()).map((e) => e.item);
    expect(items).toContain('new');
    expect(items).not.toContain('old0');
    expect(items.length).toBeLessThan(11);

    spy.mockImplementation(() => {
      throw new DOMException('full', 'QuotaExceededError');
    });
    const before = await store.all();
    const err = await store.add([ev('never', 60)]).catch((e: unknown) => e);
    expect(err).toHaveCode('store-quota-exceeded');
    spy.mockRestore();
    expect(await store.all()).toEqual(before);
  });

  it('keeps personal weights with their model version, across reopening, and clear() removes everything', async () => {
    const factory = new IDBFactory();
    const s1 = await openStore({ dbName: 'e', maxEvents: 10, indexedDB: factory });
    const { stored } = await s1.add([ev('a', 1)]);
    expect(await s1.putWeights(weights(7), { seq: stored[0].seq })).toBe(true);
    s1.close();
    const s2 = await openStore({ dbName: 'e', maxEvents: 10, indexedDB: factory });
    const w = await s2.getWeights();
    expect(w?.modelVersion).toBe(7);
    expect(Array.from(w!.params)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(await s2.clear()).toBe(1);
    expect(await s2.count()).toBe(0);
    expect(await s2.getWeights()).toBeNull();
  });
});

describe('forget and denial across tabs (two connections to one database)', () => {
  const newest = async (s: { all(): Promise<readonly { seq: number }[]> }) => ({ seq: Math.max(...(await s.all()).map((e) => e.seq)) });

  it('refuses weights learned before a forget in the other tab, in the same transaction as the write', async () => {
    const factory = new IDBFactory();
    const a = await openStore({ dbName: 'x', maxEvents: 10, indexedDB: factory });
    const b = await openStore({ dbName: 'x', maxEvents: 10, indexedDB: factory });
    await b.add([ev('p', 1)]);
    const learned = await newest(b); // b reads the events it learns from
    expect(await a.clear()).toBe(1); // a forgets while b trains
    expect(await b.putWeights(weights(1), learned)).toBe(false);
    expect(await a.getWeights()).toBeNull();
    // Events tracked after the forget, and weights learned from them: stored.
    await b.add([ev('q', 2)]);
    expect(await b.putWeights(weights(2), await newest(b))).toBe(true);
    expect((await a.getWeights())?.modelVersion).toBe(2);
  });

  it('refuses every write of events and weights in any tab after a denial, until a grant; a forget leaves nothing, a denial only its mark', async () => {
    const factory = new IDBFactory();
    const a = await openStore({ dbName: 'y', maxEvents: 10, indexedDB: factory });
    const b = await openStore({ dbName: 'y', maxEvents: 10, indexedDB: factory });
    await b.add([ev('p', 1)]);
    const learned = await newest(b);
    await a.clear(true);
    await expect(b.add([ev('q', 2)])).rejects.toHaveCode('consent-required');
    expect(await b.putWeights(weights(1), learned)).toBe(false);
    expect([await a.count(), await b.getWeights()]).toEqual([0, null]);
    await a.clear(); // a forget while denied keeps the denial
    await expect(b.add([ev('q', 2)])).rejects.toHaveCode('consent-required');
    await b.grant();
    expect((await b.add([ev('r', 3)])).stored).toHaveLength(1);
    expect(await a.putWeights(weights(3), await newest(a))).toBe(true);
  });
});

describe('the in-memory fallback', () => {
  it('is used, and says why, when IndexedDB is unavailable', async () => {
    const store = await openStore({ dbName: 'x', maxEvents: 2, indexedDB: null });
    expect(store.mode).toBe('memory');
    expect(store.reason).toMatch(/IndexedDB/);
    await store.add([ev('a', 1), ev('b', 2), ev('c', 3)]);
    expect((await store.all()).map((e) => e.item)).toEqual(['b', 'c']);
    expect(await store.count()).toBe(2);
  });

  it('is used when opening IndexedDB throws, as in some private modes', async () => {
    const broken = { open: () => { throw new DOMException('denied', 'InvalidStateError'); } } as unknown as IDBFactory;
    const store = await openStore({ dbName: 'x', maxEvents: 5, indexedDB: broken });
    expect(store.mode).toBe('memory');
    expect(store.reason).toMatch(/denied/);
  });
});
