import { createClient, expect, openHarness, SMALL, test } from './fixtures';

// Fixture: item i is in category i % 5; category 1 is "books".
const BOOKS = ['sku-00001', 'sku-00006', 'sku-00011', 'sku-00016', 'sku-00021', 'sku-00026'];

test('personalisation moves recommendations toward a clicked category', async ({ page, network }) => {
  BOOKS.forEach((b) => network.secrets.add(b));
  await openHarness(page);
  await createClient(page, 'a', { model: SMALL, backend: 'wasm', dbName: 'personalise-a', personaliseDebounceMs: 0 });
  const r = await page.evaluate(async (books) => {
    const c = window.lrs.a;
    const share = (items: { categories: string[] }[]) => items.filter((i) => i.categories.includes('books')).length;
    const cold = await c.recommend({ n: 10 });
    await c.track(books.map((item, i) => ({ item, type: 'view' as const, ts: Date.UTC(2024, 0, 1) + i })));
    const pooledOnly = await c.recommend({ n: 10 });
    const p = await c.personalise();
    const adapted = await c.recommend({ n: 10 });
    const why = await c.explain(adapted.items[0].id);
    return { cold: share(cold.items), pooled: share(pooledOnly.items), adapted: share(adapted.items), personalised: adapted.personalised, p, why, ids: adapted.items.map((i) => i.id) };
  }, BOOKS);
  expect(r.cold).toBeLessThan(5);
  expect(r.adapted).toBeGreaterThanOrEqual(8);
  expect(r.adapted).toBeGreaterThan(r.cold);
  expect(r.personalised).toBe(true);
  expect(r.p).toMatchObject({ personalised: true, events: BOOKS.length });
  expect(r.ids.filter((id) => BOOKS.includes(id))).toEqual([]);
  expect(r.why.text).toMatch(/^Because you viewed books item \d+/);
  expect(r.why.reasons.every((x) => BOOKS.includes(x.item))).toBe(true);
});

test('personal weights survive a reload and are not retrained', async ({ page }) => {
  await openHarness(page);
  await createClient(page, 'a', { model: SMALL, backend: 'wasm', dbName: 'personalise-reload', personaliseDebounceMs: 0 });
  const before = await page.evaluate(async (books) => {
    const c = window.lrs.a;
    await c.track(books.map((item, i) => ({ item, type: 'purchase' as const, ts: Date.UTC(2024, 0, 1) + i })));
    await c.personalise({ steps: 7 });
    const status = await c.status();
    const rec = await c.recommend({ n: 10 });
    return { personal: status.personal, items: rec.items };
  }, BOOKS.slice(0, 3));
  expect(before.personal).toMatchObject({ steps: 7, events: 3, modelVersion: 1 });

  await page.reload();
  await expect(page.locator('#state')).toHaveText('ready');
  const events: string[] = [];
  const after = await page.evaluate(async () => {
    const c = await window.localrecHarness.createLocalrec({
      model: '/test-models/small/manifest.json',
      dbName: 'personalise-reload',
      backend: 'wasm',
      personaliseDebounceMs: 0,
    });
    const seen: string[] = [];
    c.subscribe((e) => seen.push(e.type));
    const status = await c.status();
    const rec = await c.recommend({ n: 10 });
    return { personal: status.personal, items: rec.items, personalisedFlag: rec.personalised, source: status.model?.source, seen };
  });
  events.push(...after.seen);
  expect(after.personal).toEqual(before.personal);
  expect(after.personalisedFlag).toBe(true);
  expect(after.items).toEqual(before.items);
  expect(after.source).toBe('cache');
  expect(events).not.toContain('personalised');
});

test('personalisation runs by itself after the shopper goes quiet, without blocking the page', async ({ page }) => {
  await openHarness(page);
  await createClient(page, 'a', { model: SMALL, backend: 'wasm', dbName: 'personalise-idle', personaliseDebounceMs: 300 });
  const r = await page.evaluate(async (books) => {
    const c = window.lrs.a;
    const done = new Promise<string>((resolve) => c.subscribe((e) => e.type === 'personalised' && resolve(e.reason)));
    await c.track(books.map((item) => ({ item, type: 'view' as const })));
    // The main thread stays responsive while the Worker trains: count animation frames.
    let frames = 0;
    const tick = () => {
      frames++;
      if (frames < 1000) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    const reason = await done;
    return { reason, frames, personal: (await c.status()).personal };
  }, BOOKS);
  expect(r.reason).toBe('idle');
  expect(r.personal?.events).toBe(BOOKS.length);
  expect(r.frames).toBeGreaterThan(3);
});
