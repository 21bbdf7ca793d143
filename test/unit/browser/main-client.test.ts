import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLocalrec } from '../../../src/browser/main-client';
import { FakeWorker, ok } from './fake-worker';
import { LocalrecError } from '../../../src/errors';

const TS = Date.UTC(2024, 5, 1);
const base = { model: 'https://shop.test/models/shop/manifest.json', wasmPath: 'https://shop.test/tfjs-wasm/' };

describe('the main-thread client', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('sends init with defaults filled in and rebuilds Worker errors as typed LocalrecErrors', async () => {
    const w = new FakeWorker((req) =>
      req.method === 'recommend'
        ? { kind: 'response', id: req.id, ok: false, error: new LocalrecError('invalid-argument', 'n must be…', { n: 0 }).toJSON() }
        : ok(req),
    );
    const c = await createLocalrec({ ...base, createWorker: () => w.asWorker() });
    expect(w.requests[0]).toMatchObject({ method: 'init', params: { modelUrl: base.model, backend: 'auto', storage: 'auto', dbName: 'localrec', maxEvents: 1000 } });
    const err = await c.recommend({ n: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalrecError);
    expect(err).toHaveCode('invalid-argument', { n: 0 });
    // The code travels in `code`, never inside the message.
    expect((err as LocalrecError).message).not.toContain('[invalid-argument]');
  });

  it('rejects pending and later calls with worker-failed when the Worker dies again after its one restart', async () => {
    let hang = false;
    const w = new FakeWorker((req) => (hang ? null : ok(req)));
    const c = await createLocalrec({ ...base, createWorker: () => w.asWorker() });
    hang = true;
    const pending = c.status();
    w.dispatchEvent(Object.assign(new Event('error'), { message: 'boom' }));
    w.dispatchEvent(Object.assign(new Event('error'), { message: 'boom again' }));
    await expect(pending).rejects.toHaveCode('worker-failed');
    await expect(c.recommend()).rejects.toHaveCode('worker-failed');
  });

  it('terminates the Worker when the model cannot load', async () => {
    const w = new FakeWorker((req) => ({ kind: 'response', id: req.id, ok: false, error: new LocalrecError('model-hash-mismatch', 'bad').toJSON() }));
    const err = await createLocalrec({ ...base, createWorker: () => w.asWorker() }).catch((e: unknown) => e);
    expect(err).toHaveCode('model-hash-mismatch');
    expect(w.terminated).toBe(true);
  });

  it('starts with consent pending: track() and personalise() reject with consent-required and nothing reaches the Worker', async () => {
    const w = new FakeWorker(ok);
    const c = await createLocalrec({ ...base, createWorker: () => w.asWorker() });
    expect(w.requests[0]).toMatchObject({ method: 'init', params: { consent: 'pending' } });
    await expect(c.track({ item: 'a', type: 'view' })).rejects.toHaveCode('consent-required');
    await expect(c.personalise()).rejects.toHaveCode('consent-required');
    expect(w.requests.map((r) => r.method)).toEqual(['init']);
    await c.setConsent('granted');
    await c.track({ item: 'a', type: 'view' });
    await c.setConsent('denied');
    expect(w.requests.map((r) => (r.method === 'consent' ? `consent:${r.params.state}` : r.method))).toEqual(['init', 'consent:granted', 'track', 'consent:denied']);
  });

  it('honours Global Privacy Control over a configured grant', async () => {
    vi.stubGlobal('navigator', { globalPrivacyControl: true });
    const w = new FakeWorker(ok);
    const c = await createLocalrec({ ...base, consent: 'granted', createWorker: () => w.asWorker() });
    expect(w.requests[0]).toMatchObject({ method: 'init', params: { consent: 'denied' } });
    await expect(c.track({ item: 'a', type: 'view' })).rejects.toHaveCode('consent-required');
  });

  it('tells the Worker when the CMP changes its mind after start', async () => {
    const dataLayer: unknown[] = [];
    vi.stubGlobal('dataLayer', dataLayer);
    const w = new FakeWorker(ok);
    await createLocalrec({ ...base, createWorker: () => w.asWorker() });
    dataLayer.push(['consent', 'update', { personalization_storage: 'granted' }]);
    dataLayer.push(['consent', 'update', { personalization_storage: 'denied' }]);
    expect(w.requests.map((r) => (r.method === 'consent' ? r.params.state : r.method))).toEqual(['init', 'granted', 'denied']);
  });

  it("rejects setConsent with anything but the three states, e.g. the string 'false', as invalid-argument", async () => {
    const w = new FakeWorker(ok);
    const c = await createLocalrec({ ...base, createWorker: () => w.asWorker() });
    for (const bad of ['false', true, 'yes', undefined]) {
      const err = await c.setConsent(bad as never).catch((e: unknown) => e);
      expect(err).toHaveCode('invalid-argument');
    }
    expect(w.requests.map((r) => r.method)).toEqual(['init']);
  });

  it('checks recommend filters and setAvailability on the page, so a wrong type never reaches the Worker; availability needs no consent', async () => {
    const w = new FakeWorker(ok);
    const c = await createLocalrec({ ...base, createWorker: () => w.asWorker() });
    for (const bad of [{ include: 'p1' }, { exclude: [1] }, { price: { min: 3, max: 1 } }, { context: '' }]) {
      const err = await c.recommend(bad as never).catch((e: unknown) => e);
      expect(err).toHaveCode('invalid-argument');
    }
    for (const [ids, available] of [['p1', false], [['p1'], 'no']]) {
      const err = await c.setAvailability(ids as never, available as never).catch((e: unknown) => e);
      expect(err).toHaveCode('invalid-argument');
    }
    expect(w.requests.map((r) => r.method)).toEqual(['init']);
    await c.setAvailability(['p1'], false);
    expect(w.requests[1]).toMatchObject({ method: 'setAvailability', params: { ids: ['p1'], available: false } });
  });

  it('accepts the GA4 items shape in track(), one event per item, and refuses GA4 events it does not track', async () => {
    const w = new FakeWorker(ok);
    const c = await createLocalrec({ ...base, consent: 'granted', createWorker: () => w.asWorker() });
    await c.track({ event: 'add_to_cart', items: [{ item_id: 'p1' }, { item_id: 42 }], ts: TS });
    expect(w.requests[1]).toMatchObject({ method: 'track', params: { events: [{ item: 'p1', type: 'cart', ts: TS }, { item: '42', type: 'cart', ts: TS }] } });
    const err = await c.track({ event: 'page_view' as never, items: [] }).catch((e: unknown) => e);
    expect(err).toHaveCode('invalid-argument');
  });

  it('delivers Worker events to listeners and survives a throwing listener', async () => {
    const w = new FakeWorker(ok);
    const seen: string[] = [];
    const c = await createLocalrec({ ...base, createWorker: () => w.asWorker(), onEvent: () => { throw new Error('listener bug'); } });
    const off = c.subscribe((e) => seen.push(e.type));
    w.dispatchEvent(new MessageEvent('message', { data: { kind: 'event', event: { type: 'download', file: 'weights.bin', bytes: 10 } } }));
    off();
    w.dispatchEvent(new MessageEvent('message', { data: { kind: 'event', event: { type: 'download', file: 'items.json', bytes: 10 } } }));
    expect(seen).toEqual(['download']);
  });
});
