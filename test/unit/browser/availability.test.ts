import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/browser/worker-store';
import { checkAvailabilityArgs } from '../../../src/browser/schemas';
import { MemoryModelCache } from '../../../src/browser/worker-loader';
import { fixtureModel, initParams, itemId as id, makeRuntime, ModelServer, T0 } from './helpers';

const ids = (rec: { items: { id: string }[] }) => rec.items.map((r) => r.id);

describe('item availability (setAvailability)', () => {
  it('hides unavailable items from every list until they are available again, counting unknown ids', async () => {
    const h = makeRuntime(new ModelServer(await fixtureModel()));
    await h.call('init', initParams());
    const all = await h.call('recommend', { n: 1000 });
    const [first, second] = ids(all);
    expect(await h.call('setAvailability', { ids: [first, second, first, 'ghost'], available: false })).toEqual({ updated: 2, unknownIds: 1 });
    expect(ids(await h.call('recommend', { n: 1000 }))).toEqual(ids(all).filter((x) => x !== first && x !== second));
    expect(ids(await h.call('recommend', { n: 1000, context: id(5) }))).not.toContain(first);
    expect(ids(await h.call('recommend', { n: 1000, include: [first, second] }))).toEqual([]);
    expect(await h.call('setAvailability', { ids: [first], available: true })).toEqual({ updated: 1, unknownIds: 0 });
    expect(ids(await h.call('recommend', { n: 1 }))).toEqual([first]);
  });

  it('needs no consent, and neither forget() nor a denial removes it (it is shop data)', async () => {
    const h = makeRuntime(new ModelServer(await fixtureModel()));
    await h.call('init', initParams({ consent: 'denied' }));
    await h.call('setAvailability', { ids: [id(1)], available: false });
    await h.call('consent', { state: 'granted' });
    await h.call('track', { events: [{ item: id(2), type: 'view', ts: T0 }] });
    await h.call('forget', {});
    await h.call('consent', { state: 'denied' });
    expect(ids(await h.call('recommend', { n: 1000 }))).not.toContain(id(1));
    expect((await h.call('exportData', {})).events).toEqual([]);
  });

  it('persists across a restart and a model update', async () => {
    const server = new ModelServer(await fixtureModel());
    const idb = new IDBFactory();
    const cache = new MemoryModelCache();
    const a = makeRuntime(server, { idb, cache });
    await a.call('init', initParams());
    await a.call('setAvailability', { ids: [id(7), id(8)], available: false });

    const b = makeRuntime(server, { idb, cache });
    await b.call('init', initParams({ consent: 'pending' }));
    expect(ids(await b.call('recommend', { n: 1000 }))).not.toContain(id(7));

    server.model = await fixtureModel({ seed: 4, modelVersion: 2 });
    const c = makeRuntime(server, { idb, cache });
    const status = await c.call('init', initParams());
    expect(status.model?.version).toBe(2);
    const after = ids(await c.call('recommend', { n: 1000 }));
    expect(after).not.toContain(id(7));
    expect(after).not.toContain(id(8));
    expect(after).toHaveLength(58);
    expect(status.storage?.unavailable).toBe(2);
  });

  it.each([
    ['ids that are not an array', 'sku', false],
    ['an empty id', [''], false],
    ['a number id', [3], true],
    ['available as text', ['sku'], 'false'],
  ])('rejects %s as invalid-argument', (_, badIds, available) => {
    let err: unknown;
    try {
      checkAvailabilityArgs(badIds, available);
    } catch (e) {
      err = e;
    }
    expect(err).toHaveCode('invalid-argument');
  });
});

/** Creates a database exactly as schema version 2 (the previous release) left it. */
async function createVersion2(factory: IDBFactory, name: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const req = factory.open(name, 2);
    req.onupgradeneeded = () => {
      const db = req.result;
      db.createObjectStore('events', { keyPath: 'seq', autoIncrement: true }).createIndex('by-ts', 'ts');
      db.createObjectStore('personal', { keyPath: 'key' });
    };
    req.onsuccess = () => {
      const db = req.result;
      const tx = db.transaction(['events', 'personal'], 'readwrite');
      tx.objectStore('events').add({ item: 'kept', type: 'view', ts: T0 });
      tx.objectStore('personal').put({ key: 'current', modelName: 'm', modelVersion: 1, steps: 1, lr: 0.1, events: 1, trainedAt: T0, d: 1, hidden: 1, params: new Float32Array(4), ms: 1 });
      tx.oncomplete = () => {
        db.close();
        resolve();
      };
      tx.onerror = () => reject(tx.error);
    };
    req.onerror = () => reject(req.error);
  });
}

describe('the store\u2019s schema migration', () => {
  it('upgrades a version-2 database in place: events and personal weights stay, availability starts empty and persists', async () => {
    const factory = new IDBFactory();
    await createVersion2(factory, 'old');
    const store = await openStore({ dbName: 'old', maxEvents: 100, indexedDB: factory });
    expect(store.mode).toBe('indexeddb');
    expect((await store.all()).map((e) => e.item)).toEqual(['kept']);
    expect((await store.getWeights())?.modelVersion).toBe(1);
    expect(await store.unavailable()).toEqual([]);
    await store.setAvailability(['x', 'y'], false);
    await store.setAvailability(['y'], true);
    store.close();
    const again = await openStore({ dbName: 'old', maxEvents: 100, indexedDB: factory });
    expect(await again.unavailable()).toEqual(['x']);
    expect(await again.clear()).toBe(1);
    expect(await again.unavailable()).toEqual(['x']);
  });
});
