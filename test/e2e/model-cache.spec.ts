import { readFileSync } from 'node:fs';
import { createClient, expect, openHarness, SMALL, test } from './fixtures';

const V2 = '.cache/models/small-v2';

/** Serves model v2's manifest in place of v1's, with a damaged weights.bin. */
async function serveBrokenUpdate(page: import('@playwright/test').Page, damage: (b: Buffer) => Buffer) {
  await page.route('**/test-models/small/manifest.json', (route) => route.fulfill({ body: readFileSync(`${V2}/manifest.json`), contentType: 'application/json' }));
  await page.route('**/test-models/small/weights.bin', (route) => route.fulfill({ body: damage(readFileSync(`${V2}/weights.bin`)) }));
  await page.route('**/test-models/small/items.json', (route) => route.fulfill({ body: readFileSync(`${V2}/items.json`), contentType: 'application/json' }));
}

const corruptions: [string, (b: Buffer) => Buffer][] = [
  ['a flipped byte', (b) => Buffer.from(b.map((x, i) => (i === 1234 ? x ^ 0xff : x)))],
  ['a truncated file', (b) => b.subarray(0, b.length - 100)],
];

for (const [what, damage] of corruptions) {
  test(`a model update with ${what} keeps the old model working and reports a typed error`, async ({ page }) => {
    await openHarness(page);
    const first = await createClient(page, 'v1', { model: SMALL, backend: 'wasm', storage: 'memory' });
    expect(first.model).toMatchObject({ version: 1, source: 'network', lastError: null });
    const good = await page.evaluate(() => window.lrs.v1.recommend({ n: 10 }));

    await serveBrokenUpdate(page, damage);
    await page.reload();
    await expect(page.locator('#state')).toHaveText('ready');
    const events: { type: string; error?: { code: string } }[] = [];
    await page.exposeFunction('recordEvent', (e: { type: string; error?: { code: string } }) => events.push(e));
    const second = await page.evaluate(async () => {
      const c = await window.localrecHarness.createLocalrec({
        model: '/test-models/small/manifest.json',
        storage: 'memory',
        backend: 'wasm',
        onEvent: (e) => (window as unknown as { recordEvent(e: unknown): void }).recordEvent(e),
      });
      window.lrs = { c };
      return { status: await c.status(), rec: await c.recommend({ n: 10 }) };
    });
    expect(second.status.model).toMatchObject({ version: 1, source: 'cache', lastError: { code: 'model-hash-mismatch' } });
    expect(second.rec.items).toEqual(good.items);
    expect(events.find((e) => e.type === 'model-error')).toMatchObject({ error: { code: 'model-hash-mismatch' }, usingCachedVersion: 1 });

    // Once the update is served intact it replaces the cached version.
    await page.unrouteAll();
    await page.reload();
    await expect(page.locator('#state')).toHaveText('ready');
    await page.route('**/test-models/small/*', (route) => route.fulfill({ body: readFileSync(`${V2}/${new URL(route.request().url()).pathname.split('/').pop()}`) }));
    const third = await createClient(page, 'v2', { model: SMALL, backend: 'wasm', storage: 'memory' });
    expect(third.model).toMatchObject({ version: 2, source: 'network', lastError: null });
  });
}

test('with no good copy cached, a corrupt model fails with a typed error on the main thread', async ({ page }) => {
  await serveBrokenUpdate(page, corruptions[0][1]);
  await openHarness(page);
  const err = await page.evaluate(async () => {
    try {
      await window.localrecHarness.createLocalrec({ model: '/test-models/small/manifest.json', storage: 'memory' });
      return null;
    } catch (e) {
      const x = e as { name: string; code: string; details: Record<string, unknown> };
      return { name: x.name, code: x.code, details: x.details };
    }
  });
  expect(err).toMatchObject({ name: 'LocalrecError', code: 'model-hash-mismatch', details: { path: 'weights.bin' } });
});
