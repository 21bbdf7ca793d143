/**
 * A first visit with the defaults (`backend: 'auto'`, a fresh profile): the SDK recommends
 * on plain scores before it fetches any tfjs, measures the backends once the Worker is
 * idle after that recommendation, swaps the winner in and remembers it in IndexedDB; the
 * next visit loads the remembered backend alone, and personal steps work on it.
 */
import { gzipSync } from 'node:zlib';
import type { Page } from '@playwright/test';
import { expect, measuredStatus, openHarness, SMALL, test } from './fixtures';

/** Issue 26: backend code fetched before the first recommendation, gzip. */
const BACKEND_CODE_BUDGET_GZIP = 50_000;
/** The Worker's first load in this build (src/browser/worker-entry.ts). */
const WORKER_ENTRY = /^\/assets\/worker-entry-[\w-]+\.js$/;
/** tfjs-core's chunk (src/browser/worker-tfjs.ts): every tfjs backend is imported after it. */
const TFJS_CORE = /^\/assets\/worker-tfjs-[\w-]+\.js$/;
const WASM_CHUNK = /^\/assets\/worker-tfjs-wasm-[\w-]+\.js$/;
const isCode = (path: string) => /\.(js|wasm)$/.test(path);

// Fixture: item i is in category i % 5; category 1 is "books".
const BOOKS = ['sku-00001', 'sku-00006', 'sku-00011', 'sku-00016'];

/** Every code file the context fetches, tagged with the phase of the test it was requested in. */
function recordCode(page: Page) {
  const log: { path: string; phase: string }[] = [];
  let phase = 'page';
  page.context().on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol.startsWith('http') && isCode(u.pathname)) log.push({ path: u.pathname, phase });
  });
  return { set: (p: string) => void (phase = p), in: (p: string) => log.filter((x) => x.phase === p).map((x) => x.path) };
}

/** Opens a client on the defaults and returns its status after its first recommendation. */
async function firstRecommendation(page: Page, dbName: string) {
  return page.evaluate(
    async ([model, db]) => {
      window.lrs = {};
      const c = (window.lrs.a = await window.localrecHarness.createLocalrec({ model, dbName: db, personaliseDebounceMs: 0 }));
      const r = await c.recommend({ n: 10 });
      return { items: r.items.length, backend: (await c.status()).backend! };
    },
    [SMALL, dbName] as const,
  );
}

const rememberedChoices = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<{ key: string; name: string }[]>((resolve, reject) => {
        const open = indexedDB.open('localrec-backends');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const all = open.result.transaction('choices').objectStore('choices').getAll();
          all.onsuccess = () => (resolve(all.result), open.result.close());
        };
      }),
  );

test('a first visit recommends before any tfjs is fetched, measures when idle, and the next visit uses the remembered backend, personal steps included', async ({ page, network }) => {
  BOOKS.forEach((b) => network.secrets.add(b));
  const code = recordCode(page);
  await openHarness(page);

  code.set('first visit');
  const first = await firstRecommendation(page, 'first-visit');
  code.set('first visit, idle');
  expect(first.items).toBe(10);
  expect(first.backend).toMatchObject({ name: 'plain', source: 'pending', forced: false, probes: [] });
  // Before the first recommendation the Worker fetched its first load and nothing else: no tfjs chunk, no wasm binary.
  const before = code.in('first visit');
  expect(before).toHaveLength(1);
  expect(before[0]).toMatch(WORKER_ENTRY);
  const gzip = gzipSync(await (await page.request.get(before[0])).body()).length;
  console.log(`backend code before the first recommendation: ${gzip} bytes gzip (${before.join(', ')})`);
  expect(gzip).toBeLessThanOrEqual(BACKEND_CODE_BUDGET_GZIP);

  // Idle after it, every backend is probed (the tfjs chunks arrive now, which the check above would have seen) and the winner remembered.
  const measured = await measuredStatus(page, 'a');
  expect(measured.backend).toMatchObject({ source: 'probed', forced: false });
  expect(measured.backend!.probes.filter((p) => p.ok).map((p) => p.name).sort()).toEqual(['cpu', 'plain', 'wasm', 'webgl']);
  const probed = code.in('first visit, idle');
  expect(probed.some((p) => TFJS_CORE.test(p))).toBe(true);
  const remembered = await rememberedChoices(page);
  expect(remembered).toEqual([expect.objectContaining({ name: measured.backend!.name })]);

  // On this machine plain usually wins; a device where wasm won would have stored wasm. Store
  // that, so the next visit shows a tfjs backend taking over from plain.
  await page.evaluate(
    (key) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('localrec-backends');
        open.onsuccess = () => {
          const tx = open.result.transaction('choices', 'readwrite');
          tx.objectStore('choices').put({ key, name: 'wasm', probes: [], measuredAt: Date.now() });
          tx.oncomplete = () => (open.result.close(), resolve());
          tx.onerror = () => reject(tx.error);
        };
      }),
    remembered[0].key,
  );

  await page.reload();
  await expect(page.locator('#state')).toHaveText('ready');
  code.set('second visit');
  const second = await firstRecommendation(page, 'first-visit');
  code.set('second visit, idle');
  expect(second.backend).toMatchObject({ name: 'plain', source: 'pending' });
  expect(code.in('second visit').filter((p) => !WORKER_ENTRY.test(p))).toEqual([]);
  const taken = await measuredStatus(page, 'a');
  expect(taken.backend).toMatchObject({ name: 'wasm', source: 'remembered', forced: false });
  expect(taken.backend!.probes.map((p) => p.name)).toEqual(['wasm']);
  // Only the remembered backend was loaded: tfjs-core and the wasm chunk, not every candidate's.
  const loaded = code.in('second visit, idle');
  expect(loaded.some((p) => TFJS_CORE.test(p))).toBe(true);
  expect(loaded.some((p) => WASM_CHUNK.test(p))).toBe(true);
  expect(loaded.filter((p) => p.endsWith('.js')).length).toBeLessThan(probed.filter((p) => p.endsWith('.js')).length);

  // Personal steps on the swapped scorer: personalised, and the same list as plain scores give for the same events.
  const r = await page.evaluate(async (books) => {
    const events = books.map((item, i) => ({ item, type: 'view' as const, ts: Date.UTC(2024, 0, 1) + i }));
    const c = window.lrs.a;
    await c.track(events);
    const p = await c.personalise();
    const swapped = await c.recommend({ n: 10 });
    const plain = await window.localrecHarness.createLocalrec({ model: '/test-models/small/manifest.json', backend: 'plain', dbName: 'first-visit-plain', personaliseDebounceMs: 0 });
    await plain.track(events);
    await plain.personalise();
    const reference = await plain.recommend({ n: 10 });
    return { p, swapped, reference, backend: (await c.status()).backend?.name };
  }, BOOKS);
  expect(r.backend).toBe('wasm');
  expect(r.p).toMatchObject({ personalised: true, events: BOOKS.length });
  expect(r.swapped).toMatchObject({ personalised: true, mode: 'personal' });
  expect(r.swapped.items.map((i) => i.id)).toEqual(r.reference.items.map((i) => i.id));
  r.swapped.items.forEach((it, i) => expect(Math.abs(it.score - r.reference.items[i].score)).toBeLessThan(1e-3));
});
