/**
 * Start-up fallbacks in real Chromium (issue 16): site storage blocked (reading
 * `indexedDB` in the Worker throws a SecurityError), a Worker that never answers, and a
 * Worker that crashes on start. The page's `Worker` constructor is wrapped by an init
 * script, so the SDK's own start-up path (startWorker) is what runs; the wrapped Worker's
 * location is a blob: URL, so these tests name the wasm folder (wasmPath) themselves.
 */
import { createClient, expect, openHarness, SMALL, test, wrapWorkers } from './fixtures';

const BLOCK_IDB = `Object.defineProperty(self, 'indexedDB', { configurable: true, get() { throw new DOMException('The user denied permission to access the database.', 'SecurityError'); } });`;

test('starts with the in-memory store and a storage-fallback warning when site storage is blocked', async ({ page }) => {
  await wrapWorkers(page, BLOCK_IDB);
  await openHarness(page);
  const s = await createClient(page, 'b', { model: SMALL, backend: 'cpu', wasmPath: '/tfjs-wasm/', personaliseDebounceMs: 0 });
  expect(s.ready).toBe(true);
  expect(s.storage).toMatchObject({ mode: 'memory', reason: expect.stringContaining('SecurityError') });
  expect(s.warnings.map((w) => w.code)).toEqual(['storage-fallback']);
  const after = await page.evaluate(async () => {
    const c = window.lrs.b;
    await c.track([{ item: 'sku-00002', type: 'view' }, { item: 'sku-00005', type: 'cart' }]);
    await c.personalise();
    return { rec: await c.recommend({ n: 3 }), status: await c.status() };
  });
  expect(after.rec.items).toHaveLength(3);
  expect(after.rec.personalised).toBe(true);
  expect(after.status.storage?.events).toBe(2);
});

test('rejects createLocalrec with worker-timeout when the Worker never answers', async ({ page }) => {
  await openHarness(page);
  const err = await page.evaluate(async (model) => {
    const silent = () => new Worker(URL.createObjectURL(new Blob(['// never answers'], { type: 'text/javascript' })), { type: 'module' });
    try {
      await window.localrecHarness.createLocalrec({ model, createWorker: silent, timeouts: { init: 1_500 } });
      return null;
    } catch (e) {
      const { code, details } = e as { code: string; details: Record<string, unknown> };
      return { code, details };
    }
  }, SMALL);
  expect(err).toEqual({ code: 'worker-timeout', details: { method: 'init', ms: 1_500 } });
});

test('restarts a Worker that crashed on start once and still becomes ready', async ({ page }) => {
  await wrapWorkers(page, '', true);
  await openHarness(page);
  const s = await createClient(page, 'r', { model: SMALL, backend: 'cpu', wasmPath: '/tfjs-wasm/' });
  expect(s.ready).toBe(true);
  expect(s.warnings).toEqual([]);
  expect(await page.evaluate(() => (window as unknown as { workersStarted: () => number }).workersStarted())).toBe(2);
  expect((await page.evaluate(() => window.lrs.r.recommend({ n: 2 }))).items).toHaveLength(2);
});
