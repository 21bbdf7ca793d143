/**
 * The SDK under bad input in real Chromium (issue 16), table-driven: bad model updates
 * (test/fixtures/bad-models.ts, the model loader's table), wrongly typed or hostile API
 * arguments, storage faults and a stalled or crashing Worker. Every row runs on one
 * returning shopper's page (stored events, personal weights, a cached model) and asserts
 * its error code, then that the stored events and personal weights are byte for byte
 * what they were, the cached model still serves, and recommend() still works. Rows share
 * a page and client so the spec stays fast; nothing a row does is undone by hand.
 */
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import type { EncodedModel } from '../../src/model/format';
import type { ModelManifest } from '../../src/model/manifest';
import { BAD_MODELS, type Served } from '../fixtures/bad-models';
import { createClient, expect, openHarness, SMALL, test, wrapWorkers } from './fixtures';

const NOCONTENT = '/test-models/small-nocontent/manifest.json';

/** What a row leaves behind; a row passes when this equals `{ code, kept: true, recommends: true }`. */
interface RowResult {
  code: string;
  kept: boolean;
  recommends: boolean;
}

/**
 * In the page: a returning shopper on `window.lrs.c` (three events, personalised), and
 * `window.rowCheck()` comparing what is stored now with what was stored then.
 */
async function returningShopper(page: Page, model: string, extra: Record<string, unknown> = {}): Promise<void> {
  await createClient(page, 'c', { model, backend: 'cpu', wasmPath: '/tfjs-wasm/', personaliseDebounceMs: 0, ...extra });
  await page.evaluate(async () => {
    const c = window.lrs.c;
    const now = Date.now();
    await c.track([
      { item: 'sku-00001', type: 'view', ts: now - 3000 },
      { item: 'sku-00002', type: 'cart', ts: now - 2000 },
      { item: 'sku-00003', type: 'purchase', ts: now - 1000 },
    ]);
    await c.personalise({ steps: 3 });
    const stored = async () => {
      const d = await window.lrs.c.exportData();
      return JSON.stringify([d.events, d.personalWeights]);
    };
    const before = await stored();
    (window as unknown as { rowCheck: () => Promise<{ kept: boolean; recommends: boolean }> }).rowCheck = async () => {
      const kept = (await stored()) === before;
      const r = await window.lrs.c.recommend({ n: 3 });
      return { kept, recommends: r.items.length === 3 && r.personalised && r.items.every((i) => Number.isFinite(i.score)) };
    };
  });
}

/** The code a promise rejects with ('untyped: …' for anything but a LocalrecError, 'no error' when it resolves). */
const CODE_OF = `async (p) => { try { await p; return 'no error'; } catch (e) { return e && e.name === 'LocalrecError' ? e.code : 'untyped: ' + String(e); } }`;

/** Runs `rows` (statements with `c` in scope, returning a promise) one after another in the page. */
async function runRows(page: Page, rows: { call: string }[]): Promise<RowResult[]> {
  return page.evaluate(
    async ([calls, codeOf]) => {
      const outcome = (0, eval)(codeOf) as (p: Promise<unknown>) => Promise<string>;
      const check = (window as unknown as { rowCheck: () => Promise<{ kept: boolean; recommends: boolean }> }).rowCheck;
      const out: RowResult[] = [];
      for (const call of calls) {
        const run = new Function('c', `return (async () => { ${call} })();`) as (c: unknown) => Promise<unknown>;
        const code = await outcome(run(window.lrs.c));
        out.push({ code, ...(await check()) });
      }
      return out;
    },
    [rows.map((r) => r.call), CODE_OF] as const,
  );
}

function expectRows(rows: { kind: string; code: string }[], results: RowResult[]): void {
  rows.forEach((r, i) => expect.soft(results[i], r.kind).toEqual({ code: r.code, kept: true, recommends: true }));
}

const LONG = `'x'.repeat(1_000_000)`;
const ev = (fields: string) => `return c.track([{ item: 'sku-00004', type: 'view', ${fields} }]);`;

/** Wrongly typed, out-of-range and hostile arguments to every public method. */
const BAD_CALLS: { kind: string; call: string; code: string }[] = [
  // setConsent: a string where the state belongs is refused, never a silent truthy value.
  ...["'false'", 'false', 'true', 'null', 'undefined', "'GRANTED'", "['granted']", "{ toString: () => 'granted' }", '1'].map((a) => ({
    kind: `setConsent(${a})`,
    call: `return c.setConsent(${a});`,
    code: 'invalid-argument',
  })),
  // recommend
  ...["{ n: '5' }", '{ n: NaN }', '{ n: Infinity }', '{ n: -Infinity }', '{ n: 0 }', '{ n: -3 }', '{ n: 2.5 }', '{ n: 1e9 }', '{ n: null }',
    "{ excludeSeen: 'false' }", '{ excludePurchased: 1 }', "{ categories: 'shoes' }", '{ categories: [42] }',
    "{ categories: new Array(100000).fill('shoes') }", `{ categories: [${LONG}] }`, '{ nn: 5 }',
    `JSON.parse('{"__proto__": {"n": "5"}}')`, 'null', "'five'", '5', '[]'].map((a) => ({
    kind: `recommend(${a})`,
    call: `return c.recommend(${a});`,
    code: 'invalid-argument',
  })),
  // explain
  ...['42', "''", 'null', LONG, "'sku-00001', { n: '3' }", "'sku-00001', { n: 0 }", "'sku-00001', { n: 51 }", "'sku-00001', { n: NaN }", "'sku-00001', { k: 1 }", "'sku-00001', null", "'sku-00001', []"].map((a) => ({
    kind: `explain(${a})`,
    call: `return c.explain(${a});`,
    code: 'invalid-argument',
  })),
  ...["'no-such-sku'", "'__proto__'", "'constructor'", "'toString'"].map((a) => ({ kind: `explain(${a}) of an unknown item`, call: `return c.explain(${a});`, code: 'unknown-item' })),
  // personalise
  ...["{ steps: '5' }", '{ steps: -1 }', '{ steps: 101 }', '{ steps: NaN }', '{ steps: Infinity }', '{ steps: 1.5 }', '{ lr: 1 }', "'fast'", 'null', '[]'].map((a) => ({
    kind: `personalise(${a})`,
    call: `return c.personalise(${a});`,
    code: 'invalid-argument',
  })),
  // track: nothing from a bad batch is stored.
  ...['null', 'undefined', "'sku-00001'", '42', '[null]', 'new Array(3)'].map((a) => ({ kind: `track(${a})`, call: `return c.track(${a});`, code: 'invalid-event' })),
  { kind: 'an event whose item is a number', call: "return c.track([{ item: 1, type: 'view' }]);", code: 'invalid-event' },
  { kind: 'an event whose item is empty', call: "return c.track([{ item: '', type: 'view' }]);", code: 'invalid-event' },
  { kind: 'an event whose item is a megabyte long', call: `return c.track([{ item: ${LONG}, type: 'view' }]);`, code: 'invalid-event' },
  { kind: 'an event of an unknown type', call: "return c.track([{ item: 'sku-00004', type: 'teleport' }]);", code: 'invalid-event' },
  { kind: 'an event without a type', call: "return c.track([{ item: 'sku-00004' }]);", code: 'invalid-event' },
  { kind: 'a timestamp that is a string', call: ev("ts: 'now'"), code: 'invalid-event' },
  { kind: 'a timestamp in seconds', call: ev('ts: Math.floor(Date.now() / 1000)'), code: 'invalid-event' },
  { kind: 'a NaN timestamp', call: ev('ts: NaN'), code: 'invalid-event' },
  { kind: 'an infinite timestamp', call: ev('ts: Infinity'), code: 'invalid-event' },
  { kind: 'a negative timestamp', call: ev('ts: -1'), code: 'invalid-event' },
  { kind: 'a timestamp of 0', call: ev('ts: 0'), code: 'invalid-event' },
  { kind: 'a timestamp a year ahead', call: ev('ts: Date.now() + 365 * 86400000'), code: 'invalid-event' },
  { kind: 'a rating on a view', call: ev('rating: 5'), code: 'invalid-event' },
  { kind: 'a NaN rating', call: "return c.track([{ item: 'sku-00004', type: 'rating', rating: NaN }]);", code: 'invalid-event' },
  { kind: 'a rating of 11', call: "return c.track([{ item: 'sku-00004', type: 'rating', rating: 11 }]);", code: 'invalid-event' },
  { kind: 'an event with an unknown field (a user id)', call: ev("user: 'u1'"), code: 'invalid-event' },
  { kind: 'an event with a __proto__ key', call: `return c.track(JSON.parse('[{"item": "sku-00004", "type": "view", "__proto__": {"admin": true}}]'));`, code: 'invalid-event' },
  { kind: 'itemInfo with a megabyte title', call: ev(`itemInfo: { title: ${LONG}, categories: [] }`), code: 'invalid-event' },
  { kind: 'itemInfo whose categories are a string', call: ev("itemInfo: { title: 't', categories: 'shoes' }"), code: 'invalid-event' },
  { kind: 'a good event then a bad one (the batch is refused whole)', call: "return c.track([{ item: 'sku-00004', type: 'view' }, { item: 'sku-00005', type: 'teleport' }]);", code: 'invalid-event' },
  { kind: 'a batch of 100 000 events', call: "return c.track(Array.from({ length: 100000 }, (_, i) => ({ item: 'sku-' + String(i % 500).padStart(5, '0'), type: 'view' })));", code: 'invalid-event' },
  { kind: 'a batch of 1001 events', call: "return c.track(Array.from({ length: 1001 }, () => ({ item: 'sku-00004', type: 'view' })));", code: 'invalid-event' },
  { kind: 'an item the model without content features does not know', call: "return c.track([{ item: 'no-such-sku', type: 'view' }]);", code: 'unknown-item' },
  { kind: 'a GA4 event other than the three tracked', call: "return c.track({ event: 'page_view', items: [{ item_id: 'sku-00004' }] });", code: 'invalid-argument' },
  { kind: 'a GA4 view_item of an unknown item', call: "return c.track({ event: 'view_item', items: [{ item_id: 'no-such-sku' }] });", code: 'unknown-item' },
  { kind: 'a GA4 event with a timestamp in seconds', call: "return c.track({ event: 'purchase', items: [{ item_id: 'sku-00004' }], ts: 1700000000 });", code: 'invalid-event' },
  // createLocalrec's options: refused before a Worker starts (the shopper's client `c` is untouched).
  ...['{}', "{ model: 42 }", "{ model: '' }", "{ model: M, backend: 'gpu' }", "{ model: M, storage: 'disk' }", "{ model: M, dbName: '' }", "{ model: M, maxEvents: NaN }",
    '{ model: M, maxEvents: 0 }', '{ model: M, maxEvents: 1e12 }', "{ model: M, maxEvents: '1000' }", '{ model: M, personaliseDebounceMs: -1 }',
    "{ model: M, consent: 'yes' }", '{ model: M, consent: true }', "{ model: M, consentSignals: 'no' }", '{ model: M, federated: { endpoint: 42, token: 1 } }',
    "{ model: M, onEvent: 'console.log' }", '{ model: M, timeouts: { recommend: Infinity } }', '{ model: M, timeouts: { recommend: 1e10 } }',
    '{ model: M, timeouts: { teleport: 5 } }', '{ model: M, timeouts: { recommend: -1 } }'].map((a) => ({
    kind: `createLocalrec(${a})`,
    call: `const M = '${NOCONTENT}'; return window.localrecHarness.createLocalrec(${a});`,
    code: 'invalid-argument',
  })),
  {
    kind: 'track() while consent is pending',
    call: "await c.setConsent('pending'); try { return await c.track([{ item: 'sku-00004', type: 'view' }]); } finally { await c.setConsent('granted'); }",
    code: 'consent-required',
  },
];

test('refuses every bad API argument with its code and keeps what is stored', async ({ page }) => {
  await openHarness(page);
  await returningShopper(page, NOCONTENT);
  const results = await runRows(page, BAD_CALLS);
  expectRows(BAD_CALLS, results);
  expect(BAD_CALLS.length).toBeGreaterThanOrEqual(50);
  expect(await page.evaluate(() => window.lrs.c.status().then((s) => s.consent))).toBe('granted');
});

/** Model v2 of the fixture catalogue, as written by test/fixtures/make-model.ts. */
function goodUpdate(): EncodedModel {
  const dir = '.cache/models/small-v2';
  const manifest = JSON.parse(readFileSync(`${dir}/manifest.json`, 'utf8')) as ModelManifest;
  return { manifest, files: { 'weights.bin': readFileSync(`${dir}/weights.bin`), 'items.json': readFileSync(`${dir}/items.json`) } };
}

test('refuses every bad model update with its code and keeps the cached model, the events and the personal weights', async ({ page }) => {
  await openHarness(page);
  await returningShopper(page, SMALL);
  let served: Served | null = null;
  await page.route('**/test-models/small/*', (route) => {
    const name = new URL(route.request().url()).pathname.split('/').pop() as keyof Served;
    const body = served?.[name];
    if (body === undefined) return route.continue();
    return typeof body === 'number' ? route.fulfill({ status: body, body: 'error' }) : route.fulfill({ body: Buffer.from(body) });
  });
  const good = goodUpdate();
  const results: (RowResult & { source?: string; version?: number })[] = [];
  for (const b of BAD_MODELS) {
    served = await b.make(good);
    results.push(
      await page.evaluate(async () => {
        let s;
        try {
          s = await window.lrs.c.init();
        } catch (e) {
          return { code: `init rejected: ${(e as { code?: string }).code ?? String(e)}`, kept: false, recommends: false };
        }
        const check = await (window as unknown as { rowCheck: () => Promise<{ kept: boolean; recommends: boolean }> }).rowCheck();
        return { code: s.model?.lastError?.code ?? 'no error', source: s.model?.source, version: s.model?.version, ...check };
      }),
    );
  }
  BAD_MODELS.forEach((b, i) => expect.soft(results[i], b.kind).toEqual({ code: b.code, source: 'cache', version: 1, kept: true, recommends: true }));
  // The update itself, served intact, still replaces the cached model.
  served = null;
  await page.route('**/test-models/small/*', (route) => route.fulfill({ body: readFileSync(`.cache/models/small-v2/${new URL(route.request().url()).pathname.split('/').pop()}`) }));
  expect((await page.evaluate(() => window.lrs.c.init())).model).toMatchObject({ version: 2, source: 'network', lastError: null });
});

/**
 * Faults injected into the Worker (through wrapWorkers' prelude), switched on from the
 * test with `worker.evaluate`: a quota error on the next event or weights write, a
 * Worker that stops answering, a Worker whose message handler crashes.
 */
const FAULTS_PRELUDE = `
self.faults = { eventsQuota: false, weightsQuota: false, stall: false, crash: false };
const quota = () => new DOMException('The quota has been exceeded.', 'QuotaExceededError');
for (const [method, store, flag] of [['add', 'events', 'eventsQuota'], ['put', 'personal', 'weightsQuota']]) {
  const real = IDBObjectStore.prototype[method];
  IDBObjectStore.prototype[method] = function (...args) {
    if (self.faults[flag] && this.name === store) throw quota();
    return real.apply(this, args);
  };
}
const listen = self.addEventListener.bind(self);
self.addEventListener = (type, fn, opts) => listen(type, type !== 'message' ? fn : (ev) => {
  if (self.faults.stall) return;
  if (self.faults.crash) return void setTimeout(() => { throw new Error('worker crashed'); });
  fn(ev);
}, opts);
`;

async function setFault(page: Page, fault: 'eventsQuota' | 'weightsQuota' | 'stall' | 'crash', on: boolean): Promise<void> {
  const workers = page.workers();
  await workers[workers.length - 1].evaluate(([f, v]) => void ((self as unknown as { faults: Record<string, boolean> }).faults[f] = v), [fault, on] as const);
}

test('storage faults and a stalled or crashing Worker give typed errors and lose nothing', async ({ page }) => {
  await wrapWorkers(page, FAULTS_PRELUDE);
  await openHarness(page);
  await returningShopper(page, NOCONTENT, { timeouts: { explain: 1_000 } });
  const rows: { kind: string; code: string; fault: 'eventsQuota' | 'weightsQuota' | 'stall' | 'crash'; call: string }[] = [
    { kind: 'a quota error storing events (evicting a tenth does not help)', fault: 'eventsQuota', code: 'store-quota-exceeded', call: "return c.track([{ item: 'sku-00004', type: 'view' }]);" },
    { kind: 'a quota error storing the personal weights', fault: 'weightsQuota', code: 'store-quota-exceeded', call: 'return c.personalise({ steps: 2 });' },
    { kind: 'a Worker that stops answering', fault: 'stall', code: 'worker-timeout', call: "return c.explain('sku-00001');" },
    // Restarted once, initialised again, the call sent again: it succeeds.
    { kind: 'a Worker that crashes handling a call', fault: 'crash', code: 'no error', call: 'return c.recommend({ n: 3 });' },
  ];
  const results: RowResult[] = [];
  for (const r of rows) {
    await setFault(page, r.fault, true);
    const [code] = await runRowsWithoutCheck(page, [r.call]);
    if (r.fault !== 'crash') await setFault(page, r.fault, false);
    results.push({ code, ...(await page.evaluate(() => (window as unknown as { rowCheck: () => Promise<{ kept: boolean; recommends: boolean }> }).rowCheck())) });
  }
  expectRows(rows, results);
  expect(await page.evaluate(() => (window as unknown as { workersStarted: () => number }).workersStarted())).toBe(2);

  // A second crash: the client gives up with worker-failed; a new client finds everything stored.
  await setFault(page, 'crash', true);
  expect(await runRowsWithoutCheck(page, ['return c.recommend({ n: 3 });'])).toEqual(['worker-failed']);
  await page.evaluate(() => window.lrs.c.terminate());
  await createClient(page, 'c', { model: NOCONTENT, backend: 'cpu', wasmPath: '/tfjs-wasm/', personaliseDebounceMs: 0 });
  expect(await page.evaluate(() => (window as unknown as { rowCheck: () => Promise<{ kept: boolean; recommends: boolean }> }).rowCheck())).toEqual({ kept: true, recommends: true });

  // A record another schema version wrote (unknown type, string timestamp) is dropped on read and reported; the rest are used.
  await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('localrec');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const tx = db.transaction('events', 'readwrite');
    tx.objectStore('events').add({ item: 'sku-00009', type: 'click', ts: 'yesterday' });
    await new Promise((res) => (tx.oncomplete = res));
    db.close();
  });
  const afterOld = await page.evaluate(async () => {
    await window.lrs.c.init();
    const r = await window.lrs.c.recommend({ n: 5 });
    const warnings = (await window.lrs.c.status()).warnings.map((w) => w.code);
    return { finite: r.items.every((i) => Number.isFinite(i.score)), n: r.items.length, events: (await window.lrs.c.exportData()).events.length, warnings };
  });
  expect(afterOld).toEqual({ finite: true, n: 5, events: 3, warnings: ['stored-records-dropped'] });
});

async function runRowsWithoutCheck(page: Page, calls: string[]): Promise<string[]> {
  return page.evaluate(
    async ([cs, codeOf]) => {
      const outcome = (0, eval)(codeOf) as (p: Promise<unknown>) => Promise<string>;
      const out: string[] = [];
      for (const call of cs) out.push(await outcome((new Function('c', `return (async () => { ${call} })();`) as (c: unknown) => Promise<unknown>)(window.lrs.c)));
      return out;
    },
    [calls, CODE_OF] as const,
  );
}

test('two tabs starting at once share one store and both become ready', async ({ page, context }) => {
  const other = await context.newPage();
  await Promise.all([openHarness(page), openHarness(other)]);
  const options = { model: NOCONTENT, backend: 'cpu' as const, wasmPath: '/tfjs-wasm/', personaliseDebounceMs: 0 };
  const [a, b] = await Promise.all([createClient(page, 'c', options), createClient(other, 'c', options)]);
  expect([a.ready, a.storage?.mode, a.warnings, b.ready, b.storage?.mode, b.warnings]).toEqual([true, 'indexeddb', [], true, 'indexeddb', []]);
  await page.evaluate(() => window.lrs.c.track([{ item: 'sku-00001', type: 'view' }]));
  await other.evaluate(() => window.lrs.c.track([{ item: 'sku-00002', type: 'cart' }]));
  const seen = await Promise.all([page, other].map((p) => p.evaluate(async () => (await window.lrs.c.exportData()).events.map((e) => e.item).sort())));
  expect(seen).toEqual([['sku-00001', 'sku-00002'], ['sku-00001', 'sku-00002']]);
  await other.close();
});

test('a second tab recommends from the events, sold-out items and forget() of the first, not from what it read before', async ({ page, context }) => {
  const other = await context.newPage();
  await Promise.all([openHarness(page), openHarness(other)]);
  const options = { model: NOCONTENT, backend: 'cpu' as const, wasmPath: '/tfjs-wasm/', personaliseDebounceMs: 0 };
  await Promise.all([createClient(page, 'c', options), createClient(other, 'c', options)]);
  const recommend = () => other.evaluate(async () => {
    const r = await window.lrs.c.recommend({ n: 5 });
    return { mode: r.mode, ids: r.items.map((i) => i.id) };
  });
  // The second tab reads the (empty) history once and then keeps it in its Worker.
  const before = await recommend();
  expect(before.mode).toBe('popular');
  expect(await recommend()).toEqual(before);

  const first = before.ids[0];
  await page.evaluate((item) => window.lrs.c.track([{ item, type: 'purchase' }]), first);
  const afterTrack = await recommend();
  expect(afterTrack.mode).toBe('personal');
  expect(afterTrack.ids).not.toContain(first);

  const soldOut = afterTrack.ids[0];
  await page.evaluate((item) => window.lrs.c.setAvailability([item], false), soldOut);
  expect((await recommend()).ids).not.toContain(soldOut);

  // Forgotten: the purchase no longer keeps its item out of the list.
  await page.evaluate(() => window.lrs.c.forget());
  const afterForget = await recommend();
  expect(afterForget.mode).toBe('popular');
  expect(afterForget.ids).toContain(first);
  await other.close();
});

test('a database written by a newer SDK version is left alone: memory store, a storage-fallback warning, its data kept', async ({ page }) => {
  await openHarness(page);
  const open = (version?: number) =>
    page.evaluate(async (v) => {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = v === undefined ? indexedDB.open('localrec') : indexedDB.open('localrec', v);
        r.onupgradeneeded = () => r.result.createObjectStore('future', { autoIncrement: true }).add({ kept: true });
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const out = { version: db.version, stores: [...db.objectStoreNames] };
      db.close();
      return out;
    }, version);
  expect(await open(99)).toEqual({ version: 99, stores: ['future'] });
  const s = await createClient(page, 'c', { model: NOCONTENT, backend: 'cpu', wasmPath: '/tfjs-wasm/' });
  expect(s.storage).toMatchObject({ mode: 'memory', reason: expect.stringContaining('VersionError') });
  expect(s.warnings.map((w) => w.code)).toEqual(['storage-fallback']);
  expect((await page.evaluate(() => window.lrs.c.recommend({ n: 3 }))).items).toHaveLength(3);
  expect(await open()).toEqual({ version: 99, stores: ['future'] });
});
