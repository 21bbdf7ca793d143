import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { MemoryModelCache } from '../../../src/browser/worker-loader';
import { fixtureModel, hubOf, initParams, itemId as id, makeRuntime, ModelServer, T0 } from './helpers';

// Fixture items: id sku-0000i is in category i % 3.

describe('the Worker runtime', () => {
  it('recommends only unseen items in the requested category and explains them with the shopper\u2019s own events', async () => {
    const h = makeRuntime(new ModelServer(await fixtureModel()));
    await h.call('init', initParams());
    await h.call('track', { events: [0, 3, 6].map((i, k) => ({ item: id(i), type: 'view' as const, ts: T0 + k })) });
    const rec = await h.call('recommend', { n: 5 });
    expect(rec.items).toHaveLength(5);
    expect(rec.items.map((r) => r.id)).not.toContain(id(3));
    const cat = await h.call('recommend', { n: 30, categories: [rec.items[0].categories[0] === 'shoes' ? 'books' : 'shoes'] });
    expect(new Set(cat.items.flatMap((r) => r.categories)).size).toBe(1);
    const ex = await h.call('explain', { item: rec.items[0].id, options: {} });
    expect(ex.reasons.length).toBeGreaterThan(0);
    expect(ex.reasons.every((r) => [id(0), id(3), id(6)].includes(r.item))).toBe(true);
    expect(ex.text).toMatch(/^Because you viewed /);
    expect(ex.score).toBeCloseTo(rec.items[0].score, 3);
  });

  it('rejects an unknown item when the model has no content features, storing nothing from the batch', async () => {
    const h = makeRuntime(new ModelServer(await fixtureModel({ contentFeatures: false })));
    await h.call('init', initParams());
    const err = await h.call('track', { events: [{ item: id(1), type: 'view', ts: T0 }, { item: 'brand-new', type: 'view', ts: T0 }] }).catch((e: unknown) => e);
    expect(err).toHaveCode('unknown-item');
    expect((await h.call('exportData', {})).events).toEqual([]);
  });

  it('keeps unknown items when the model has content features and makes described ones recommendable', async () => {
    const h = makeRuntime(new ModelServer(await fixtureModel()));
    await h.call('init', initParams());
    const r = await h.call('track', {
      events: [
        { item: 'mystery', type: 'view', ts: T0 },
        { item: 'new-shoe', type: 'view', ts: T0 + 1, itemInfo: { title: 'New running shoe', categories: ['shoes'] } },
      ],
    });
    expect(r.stored).toBe(2);
    const all = await h.call('recommend', { n: 1000, excludeSeen: false });
    expect(all.items.map((x) => x.id)).toContain('new-shoe');
    expect(all.items.map((x) => x.id)).not.toContain('mystery');
  });

  it('personalises on demand, persists the weights with the model version, and reuses them after a restart', async () => {
    const server = new ModelServer(await fixtureModel());
    const idb = new IDBFactory();
    const cache = new MemoryModelCache();
    const a = makeRuntime(server, { idb, cache });
    await a.call('init', initParams());
    await a.call('track', { events: [1, 4, 7, 10].map((i, k) => ({ item: id(i), type: 'purchase' as const, ts: T0 + k })) });
    const p = await a.call('personalise', { steps: 3 });
    expect(p).toMatchObject({ personalised: true, steps: 3, events: 4, modelVersion: 1 });
    const before = await a.call('recommend', { n: 10 });
    expect(before.personalised).toBe(true);

    const b = makeRuntime(server, { idb, cache });
    const status = await b.call('init', initParams());
    expect(status.personal).toMatchObject({ modelVersion: 1, steps: 3, events: 4 });
    expect(status.model?.source).toBe('cache');
    expect(b.events.some((e) => e.type === 'personalised')).toBe(false);
    expect((await b.call('recommend', { n: 10 })).items).toEqual(before.items);
  });

  it('re-personalises from the stored interactions when a new model version arrives', async () => {
    const server = new ModelServer(await fixtureModel());
    const idb = new IDBFactory();
    const a = makeRuntime(server, { idb });
    await a.call('init', initParams());
    await a.call('track', { events: [{ item: id(2), type: 'cart', ts: T0 }] });
    await a.call('personalise', {});
    server.model = await fixtureModel({ seed: 9, modelVersion: 2 });
    const b = makeRuntime(server, { idb });
    const status = await b.call('init', initParams());
    expect(status.model?.version).toBe(2);
    expect(status.personal?.modelVersion).toBe(2);
    expect(b.events.find((e) => e.type === 'personalised')).toMatchObject({ reason: 'model-updated' });
  });

  it('keeps serving the cached model when a newer download is corrupt or truncated, and says why', async () => {
    const server = new ModelServer(await fixtureModel());
    const cache = new MemoryModelCache();
    await makeRuntime(server, { cache }).call('init', initParams());
    const good = await makeRuntime(server, { cache }).call('recommend', {}).catch((e: unknown) => e);
    expect(good).toHaveCode('model-not-loaded');

    server.model = await fixtureModel({ seed: 9, modelVersion: 2 });
    for (const tamper of [
      (path: string, b: Uint8Array) => (path === 'weights.bin' ? b.map((x, i) => (i === 100 ? x ^ 1 : x)) : b),
      (path: string, b: Uint8Array) => (path === 'weights.bin' ? b.slice(0, b.length - 8) : b),
    ]) {
      server.tamper = tamper;
      const h = makeRuntime(server, { cache });
      const status = await h.call('init', initParams());
      expect(status.model?.version).toBe(1);
      expect(status.model?.lastError).toHaveCode('model-hash-mismatch');
      expect((await h.call('recommend', { n: 3 })).items).toHaveLength(3);
    }
    server.tamper = null;
    expect((await makeRuntime(server, { cache }).call('init', initParams())).model?.version).toBe(2);
  });

  it('fails with a typed error when there is no good model at all', async () => {
    const server = new ModelServer(await fixtureModel());
    server.tamper = (path, b) => (path === 'items.json' ? new TextEncoder().encode('[]') : b);
    const err = await makeRuntime(server).call('init', initParams()).catch((e: unknown) => e);
    expect(err).toHaveCode('model-hash-mismatch');
    const badVersion = new ModelServer(await fixtureModel());
    (badVersion.model.manifest as { formatVersion: number }).formatVersion = 99;
    await expect(makeRuntime(badVersion).call('init', initParams())).rejects.toHaveCode('model-version-unsupported');
  });

  it('forget() removes every interaction and personal weight, and exportData() returns them before that', async () => {
    const h = makeRuntime(new ModelServer(await fixtureModel()));
    await h.call('init', initParams());
    await h.call('track', { events: [{ item: id(5), type: 'view', ts: T0 }] });
    await h.call('personalise', {});
    const dump = await h.call('exportData', {});
    expect(dump.events.map((e) => e.item)).toEqual([id(5)]);
    expect(dump.personalWeights?.params.length).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(dump))).toEqual(dump);
    expect(await h.call('forget', {})).toEqual({ removedEvents: 1 });
    const after = await h.call('exportData', {});
    expect(after.events).toEqual([]);
    expect(after.personalWeights).toBeNull();
    expect((await h.call('status', {})).personal).toBeNull();
    expect((await h.call('recommend', {})).personalised).toBe(false);
  });

  it('while consent is pending stores nothing and recommends from the shared model, even with personal weights on the device', async () => {
    const server = new ModelServer(await fixtureModel());
    const idb = new IDBFactory();
    const cache = new MemoryModelCache();
    const a = makeRuntime(server, { idb, cache });
    await a.call('init', initParams());
    const shared = await a.call('recommend', { n: 10 });
    await a.call('track', { events: [1, 4, 7].map((i, k) => ({ item: id(i), type: 'purchase' as const, ts: T0 + k })) });
    await a.call('personalise', {});

    const b = makeRuntime(server, { idb, cache });
    const status = await b.call('init', initParams({ consent: 'pending' }));
    expect(status.consent).toBe('pending');
    expect(status.storage?.events).toBe(3); // kept: pending is not a withdrawal
    const rec = await b.call('recommend', { n: 10 });
    expect(rec.personalised).toBe(false);
    expect(rec.items).toEqual(shared.items);
    expect((await b.call('explain', { item: rec.items[0].id, options: {} })).reasons).toEqual([]);
    const err = await b.call('track', { events: [{ item: id(2), type: 'view', ts: T0 }] }).catch((e: unknown) => e);
    expect(err).toHaveCode('consent-required');
    expect((await b.call('status', {})).storage?.events).toBe(3);
  });

  it('deletes stored events and personal weights when consent is withdrawn, and when a start finds it denied', async () => {
    const server = new ModelServer(await fixtureModel());
    const idb = new IDBFactory();
    const h = makeRuntime(server, { idb });
    await h.call('init', initParams());
    await h.call('track', { events: [{ item: id(3), type: 'cart', ts: T0 }] });
    await h.call('personalise', {});
    expect(await h.call('consent', { state: 'denied' })).toEqual({ removedEvents: 1 });
    expect(h.events.at(-1)).toEqual({ type: 'consent', state: 'denied', removedEvents: 1 });
    expect(await h.call('exportData', {})).toMatchObject({ events: [], personalWeights: null });
    await h.call('consent', { state: 'granted' });
    await h.call('track', { events: [{ item: id(4), type: 'view', ts: T0 }] });

    const later = makeRuntime(server, { idb });
    const status = await later.call('init', initParams({ consent: 'denied' }));
    expect(status.storage?.events).toBe(0);
    const err = await later.call('consent', { state: 'false' as never }).catch((e: unknown) => e);
    expect(err).toHaveCode('invalid-argument');
  });

  it('two tabs on one database recommend from each other\u2019s events, personal weights, availability and forget()', async () => {
    const server = new ModelServer(await fixtureModel());
    const idb = new IDBFactory();
    const cache = new MemoryModelCache();
    const [a, b] = [makeRuntime(server, { idb, cache }), makeRuntime(server, { idb, cache })];
    await a.call('init', initParams());
    await b.call('init', initParams());
    const popular = await b.call('recommend', { n: 5 }); // b now holds the (empty) history in memory
    expect(popular.mode).toBe('popular');

    await a.call('track', { events: [popular.items[0].id, popular.items[1].id].map((item, k) => ({ item, type: 'purchase' as const, ts: T0 + k })) });
    await hubOf(idb).delivered();
    const afterTrack = await b.call('recommend', { n: 5 });
    expect(afterTrack.mode).toBe('personal');
    expect(afterTrack.items.map((r) => r.id)).not.toContain(popular.items[0].id);

    await a.call('personalise', { steps: 2 });
    await a.call('setAvailability', { ids: [afterTrack.items[0].id], available: false });
    await hubOf(idb).delivered();
    const afterWeights = await b.call('recommend', { n: 5 });
    expect(afterWeights.personalised).toBe(true);
    expect(afterWeights.items.map((r) => r.id)).not.toContain(afterTrack.items[0].id);
    expect(afterWeights.items).toEqual((await a.call('recommend', { n: 5 })).items);

    await a.call('forget', {});
    await hubOf(idb).delivered();
    const afterForget = await b.call('recommend', { n: 5 });
    expect([afterForget.mode, afterForget.personalised]).toEqual(['popular', false]);
    expect((await b.call('status', {})).personal).toBeNull();
  });

  it('makes an item another tab described recommendable here too, and drops it once that tab forgets', async () => {
    const server = new ModelServer(await fixtureModel());
    const idb = new IDBFactory();
    const [a, b] = [makeRuntime(server, { idb }), makeRuntime(server, { idb })];
    await a.call('init', initParams());
    await b.call('init', initParams());
    const ids = async () => (await b.call('recommend', { n: 1000, excludeSeen: false })).items.map((r) => r.id);
    expect(await ids()).not.toContain('new-shoe');
    await a.call('track', { events: [{ item: 'new-shoe', type: 'view', ts: T0, itemInfo: { title: 'New running shoe', categories: ['shoes'] } }] });
    await hubOf(idb).delivered();
    expect(await ids()).toContain('new-shoe');
    await a.call('forget', {});
    await hubOf(idb).delivered();
    expect(await ids()).not.toContain('new-shoe');
  });

  it('personalises by itself once the shopper has been quiet for the debounce time', async () => {
    const h = makeRuntime(new ModelServer(await fixtureModel()));
    await h.call('init', initParams({ personaliseDebounceMs: 30 }));
    await h.call('track', { events: [{ item: id(1), type: 'view', ts: T0 }] });
    await h.call('track', { events: [{ item: id(4), type: 'view', ts: T0 + 1 }] });
    expect((await h.call('status', {})).personal).toBeNull();
    // Polled, not a fixed sleep: under load the idle run may start or finish late.
    await expect.poll(() => h.events.filter((e) => e.type === 'personalised').length, { timeout: 10_000 }).toBe(1);
    await h.call('status', {}); // anything queued behind it has run: still exactly one, from idle
    const personalised = h.events.filter((e) => e.type === 'personalised');
    expect(personalised).toHaveLength(1);
    expect(personalised[0]).toMatchObject({ reason: 'idle', result: { events: 2 } });
  });

  it('answers bad arguments with typed errors', async () => {
    const h = makeRuntime(new ModelServer(await fixtureModel()));
    await h.call('init', initParams());
    await expect(h.call('recommend', { n: 0 })).rejects.toHaveCode('invalid-argument');
    await expect(h.call('explain', { item: 'nope', options: {} })).rejects.toHaveCode('unknown-item');
    await expect(h.call('personalise', { steps: -1 })).rejects.toHaveCode('invalid-argument');
    await expect(h.call('track', { events: [{ item: id(1), type: 'click' as never }] })).rejects.toHaveCode('invalid-event');
  });

  it('validates each tracked batch once, at the Worker boundary, and a bad batch loses nothing already stored', async () => {
    const h = makeRuntime(new ModelServer(await fixtureModel()));
    await h.call('init', initParams());
    await h.call('track', { events: [{ item: id(1), type: 'view', ts: T0 }] });
    const bad = [{ item: id(2), type: 'view', ts: T0 + 1 }, { item: id(3), type: 'like', ts: T0 }] as never;
    const err = await h.call('track', { events: bad }).catch((e: unknown) => e);
    expect(err).toHaveCode('invalid-event');
    expect((err as { details: unknown }).details).toMatchObject({ index: 1, field: 'type' });
    expect((await h.call('exportData', {})).events.map((e) => e.item)).toEqual([id(1)]);
  });
});
