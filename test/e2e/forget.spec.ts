import { createClient, expect, openHarness, SMALL, test } from './fixtures';

/** Every record in every IndexedDB database of the origin, by database and store. */
async function idbContents(page: import('@playwright/test').Page) {
  return page.evaluate(async () => {
    const out: Record<string, number> = {};
    for (const info of await indexedDB.databases()) {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open(info.name!);
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      for (const name of Array.from(db.objectStoreNames)) {
        out[`${info.name}/${name}`] = await new Promise<number>((res) => {
          const r = db.transaction(name).objectStore(name).count();
          r.onsuccess = () => res(r.result);
        });
      }
      db.close();
    }
    return out;
  });
}

test('forget() leaves nothing in IndexedDB, while the model cache stays', async ({ page }) => {
  await openHarness(page);
  await createClient(page, 'a', { model: SMALL, backend: 'wasm', dbName: 'forget-me', personaliseDebounceMs: 0 });
  const exported = await page.evaluate(async () => {
    const c = window.lrs.a;
    await c.track([{ item: 'sku-00002', type: 'view' }, { item: 'sku-00007', type: 'cart' }, { item: 'sku-00003', type: 'purchase' }]);
    await c.personalise();
    return c.exportData();
  });
  expect(exported.events.map((e) => e.item)).toEqual(['sku-00002', 'sku-00007', 'sku-00003']);
  expect(exported.personalWeights).toMatchObject({ modelVersion: 1, events: 3 });
  const before = await idbContents(page);
  expect(before['forget-me/events']).toBe(3);
  expect(before['forget-me/personal']).toBe(1);

  const removed = await page.evaluate(() => window.lrs.a.forget());
  expect(removed).toEqual({ removedEvents: 3 });
  const after = await idbContents(page);
  expect(Object.keys(after).length).toBeGreaterThan(0);
  expect(Object.entries(after).filter(([, n]) => n > 0)).toEqual([]);
  const state = await page.evaluate(async () => ({
    status: await window.lrs.a.status(),
    exported: await window.lrs.a.exportData(),
    caches: await caches.keys(),
  }));
  expect(state.status.personal).toBeNull();
  expect(state.status.storage?.events).toBe(0);
  expect(state.exported.events).toEqual([]);
  expect(state.caches).toContain('localrec-models');
});

test('storage: "memory" keeps working without IndexedDB and status() says so', async ({ page }) => {
  await openHarness(page);
  const s = await createClient(page, 'm', { model: SMALL, storage: 'memory', dbName: 'never-created' });
  expect(s.storage).toMatchObject({ mode: 'memory', reason: expect.stringContaining('memory') });
  await page.evaluate(() => window.lrs.m.track({ item: 'sku-00004', type: 'view' }));
  expect(Object.keys(await idbContents(page)).filter((k) => k.startsWith('never-created'))).toEqual([]);
});
