/**
 * Stored state never bricks start-up: a damaged record of any store (events, personal
 * weights, availability, the model cache) is dropped and reported; the rest is used.
 * Consent is not stored by the SDK (the page or its CMP holds it), so it has no row here.
 */
import fc from 'fast-check';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { CacheStorageModelCache, loadModel, MemoryModelCache } from '../../../src/browser/worker-loader';
import { fixtureModel, initParams, itemId, makeRuntime, MODEL_URL, ModelServer, returningShopper, T0 } from './helpers';

type StoreName = 'events' | 'personal' | 'unavailable';

/** Writes raw records into the database behind the SDK's back, as another schema or a damaged disk would. */
async function writeRaw(idb: IDBFactory, name: StoreName, records: unknown[]): Promise<void> {
  const db = await new Promise<IDBDatabase>((res, rej) => {
    const r = idb.open('localrec');
    r.onsuccess = () => res(r.result);
    r.onerror = () => rej(r.error);
  });
  const tx = db.transaction(name, 'readwrite');
  for (const rec of records) tx.objectStore(name).put(rec);
  await new Promise((res, rej) => {
    tx.oncomplete = res;
    tx.onerror = () => rej(tx.error);
  });
  db.close();
}

const view = { item: itemId(3), type: 'view', ts: T0 + 100 };
/** Damaged shapes of an events record (seq is the key: each row gets a fresh one). */
const BAD_EVENTS: [string, Record<string, unknown>][] = [
  ['itemInfo.title a number', { ...view, item: 'new-1', itemInfo: { title: 42, categories: ['shoes'] } }],
  ['itemInfo.categories a string', { ...view, item: 'new-2', itemInfo: { title: 'Shoe', categories: 'shoes' } }],
  ['itemInfo.categories null', { ...view, item: 'new-3', itemInfo: { title: 'Shoe', categories: null } }],
  ['itemInfo a string', { ...view, item: 'new-4', itemInfo: 'Shoe' }],
  ['itemInfo null', { ...view, item: 'new-5', itemInfo: null }],
  ['an unknown type', { ...view, type: 'click' }],
  ['a string timestamp', { ...view, ts: 'yesterday' }],
  ['a number as item id', { ...view, item: 42 }],
  ['a blank item id', { ...view, item: '   ' }],
  ['a rating on a view', { ...view, rating: 4 }],
  ['a rating of 1e308', { ...view, type: 'rating', rating: 1e308 }],
  ['a field the store never writes (a user id)', { ...view, user: 'u-1' }],
];

describe('stored records are validated on read', () => {
  it.each(BAD_EVENTS)('an events record with %s is dropped and reported; the rest are kept and used', async (_kind, bad) => {
    const { server, idb, cache, before } = await returningShopper([1, 4, 7]);
    await writeRaw(idb, 'events', [bad]);
    const b = makeRuntime(server, { idb, cache });
    const s = await b.call('init', initParams());
    expect(s.ready).toBe(true);
    expect(s.warnings.map((w) => w.code)).toEqual(['stored-records-dropped']);
    expect(s.warnings[0].message).toMatch(/1 interaction\b/);
    const rec = await b.call('recommend', { n: 5 });
    expect([rec.mode, rec.personalised, rec.items.every((i) => Number.isFinite(i.score))]).toEqual(['personal', true, true]);
    expect((await b.call('exportData', {})).events).toEqual(before.events);
    // Deleted, so the next visit starts without a warning.
    const c = makeRuntime(server, { idb, cache });
    expect((await c.call('init', initParams())).warnings).toEqual([]);
  });

  it.each<[string, (rec: Record<string, unknown>) => unknown]>([
    ['a string', () => 'weights'],
    ['params as a plain array', (r) => ({ ...r, params: Array.from(r.params as Float32Array) })],
    ['a number as model name', (r) => ({ ...r, modelName: 7 })],
    ['no d', (r) => ({ ...r, d: undefined })],
    ['null params', (r) => ({ ...r, params: null })],
  ])('personal weights stored as %s are dropped and learned again from the stored events', async (_kind, edit) => {
    const { server, idb, cache, before } = await returningShopper([1, 4, 7]);
    const db = await new Promise<IDBDatabase>((res) => {
      const r = idb.open('localrec');
      r.onsuccess = () => res(r.result);
    });
    const current = await new Promise<Record<string, unknown>>((res) => {
      const r = db.transaction('personal').objectStore('personal').get('current');
      r.onsuccess = () => res(r.result as Record<string, unknown>);
    });
    db.close();
    const damaged = edit(current);
    // The store's keyPath needs an object with a key; a bare value goes in under a store of its own shape.
    await writeRaw(idb, 'personal', [typeof damaged === 'object' ? damaged : { key: 'current', value: damaged }]);
    const b = makeRuntime(server, { idb, cache });
    const s = await b.call('init', initParams());
    expect(s.warnings.map((w) => w.code)).toEqual(['stored-records-dropped']);
    expect(s.personal).not.toBeNull();
    const after = await b.call('exportData', {});
    expect(after.events).toEqual(before.events);
    expect(after.personalWeights?.params.every(Number.isFinite)).toBe(true);
  });

  it('an availability record under a key that is not an id is dropped; the sold-out ids are kept', async () => {
    const { server, idb, cache } = await returningShopper([1, 4, 7]);
    // Written raw (not by setAvailability, whose broadcast would make the first tab read and drop them first).
    await writeRaw(idb, 'unavailable', [{ item: itemId(2), since: 0 }, { item: 42, since: 0 }, { item: [1, 2], since: 0 }]);
    const b = makeRuntime(server, { idb, cache });
    const s = await b.call('init', initParams());
    expect(s.warnings.map((w) => w.message)).toEqual([expect.stringContaining('2 availability records')]);
    expect(s.storage?.unavailable).toBe(1);
    expect((await b.call('recommend', { n: 1000, excludeSeen: false })).items.map((r) => r.id)).not.toContain(itemId(2));
  });

  it('any generated events record leaves start-up ready, with a finite list, and keeps every good record', async () => {
    const { server, idb, cache, before } = await returningShopper([1, 4, 7]);
    const value = fc.oneof(fc.string(), fc.double(), fc.constant(null), fc.boolean(), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }));
    const record = fc.record(
      { item: fc.oneof(fc.constantFrom(itemId(3), 'new-x', ' '), value), type: fc.oneof(fc.constantFrom('view', 'cart', 'purchase', 'rating'), value), ts: fc.oneof(fc.constant(T0 + 5), value), rating: value, itemInfo: fc.oneof(fc.record({ title: value, categories: value }, { requiredKeys: [] }), value) },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 4 }), async (records) => {
        await writeRaw(idb, 'events', records);
        const b = makeRuntime(server, { idb, cache });
        const s = await b.call('init', initParams());
        expect(s.ready).toBe(true);
        const rec = await b.call('recommend', { n: 5 });
        expect(rec.items.every((i) => Number.isFinite(i.score))).toBe(true);
        const kept = (await b.call('exportData', {})).events;
        const seqs = new Set(before.events.map((e) => e.seq));
        expect(kept.filter((e) => seqs.has(e.seq))).toEqual(before.events);
        // Clean up what this run added (valid records stay, sorted by their timestamps), so each run starts from the same store.
        const extra = kept.filter((e) => !seqs.has(e.seq)).map((e) => e.seq);
        const db = await new Promise<IDBDatabase>((res) => {
          const r = idb.open('localrec');
          r.onsuccess = () => res(r.result);
        });
        const tx = db.transaction('events', 'readwrite');
        for (const seq of extra) tx.objectStore('events').delete(seq);
        await new Promise((res) => (tx.oncomplete = res));
        db.close();
      }),
      { numRuns: 100 },
    );
  });
});

describe('the model cache', () => {
  /** Cache Storage with one entry whose manifest is `body`. */
  function cacheStorageWith(body: string) {
    const entries = new Map<string, Response>();
    const cache = {
      match: async (url: string) => entries.get(url)?.clone(),
      put: async (url: string, r: Response) => void entries.set(url, r),
      delete: async (url: string) => entries.delete(url),
      keys: async () => [...entries.keys()].map((url) => ({ url })),
    };
    const storage = { open: async () => cache } as unknown as CacheStorage;
    const modelCache = new CacheStorageModelCache(storage);
    return { storage, modelCache, seed: (url: string) => entries.set(url, new Response(body)), entries };
  }

  it.each(['not json', 'null', '{"files":{}}', '{"files":[{"path":"weights.bin"}]}', '[]'])('a cached manifest %j is dropped and the model loads from the network', async (body) => {
    const server = new ModelServer(await fixtureModel());
    const { modelCache, seed, entries } = cacheStorageWith(body);
    seed(new URL(`__localrec_cache__/${encodeURIComponent('manifest.json')}`, MODEL_URL).href);
    const r = await loadModel(MODEL_URL, { fetch: server.fetch, cache: modelCache });
    expect(r.source).toBe('network');
    expect(r.error).toBeNull();
    expect(entries.size).toBeGreaterThan(0); // the good copy replaced it
  });

  it('a memory cache entry of the wrong shape is dropped too', async () => {
    const server = new ModelServer(await fixtureModel());
    const cache = new MemoryModelCache();
    await cache.put(MODEL_URL, { manifestJson: 'garbage', files: {} });
    expect((await loadModel(MODEL_URL, { fetch: server.fetch, cache })).source).toBe('network');
  });
});
