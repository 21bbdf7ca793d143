import { readFileSync } from 'node:fs';
import { buyProduct, viewProducts } from './demo-shopper';
import { expect, test } from './fixtures';

test('a shopping session on the demo shop sends no item id, event or user data over the network', async ({ page, network }) => {
  const viewed = ['sku-00001', 'sku-00006', 'sku-00011'];
  const bought = 'sku-00016';
  for (const id of [...viewed, bought]) network.secrets.add(id);
  network.secrets.add('"type":"view"');
  network.secrets.add('purchase');
  page.on('pageerror', (e) => console.error('pageerror:', e.message));

  await page.goto('/demo/?model=/test-models/small/manifest.json');
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  const forYou = page.locator('[data-strip="for-you"]');
  await expect(forYou.locator('.rec-card')).toHaveCount(6);

  // Browse the books category, open three products, then buy a fourth.
  await viewProducts(page, 'books', viewed);
  await buyProduct(page, 'books', bought);

  await page.locator('#open-dev').click();
  await expect(page.locator('#status')).toContainText('storage indexeddb, 6 events');
  await page.locator('#personalise').click();
  await expect(page.locator('#status')).toContainText('personalised (5 steps on 6 events');
  await page.locator('#dev-dialog .close').click();

  await page.locator('a.logo').click();
  await expect(forYou).toHaveAttribute('data-personalised', 'true');
  await expect(forYou.locator('.rec-title').first()).toContainText('books');
  await forYou.locator('.why-btn').first().click();
  await expect(forYou.locator('.why').first()).toContainText(/Because you (viewed|bought) books item/);

  await page.locator('#open-privacy').click();
  await expect(page.locator('#events li')).toHaveCount(6);
  const download = page.waitForEvent('download');
  await page.locator('#export').click();
  const file = await (await download).path();
  const exported = JSON.parse(readFileSync(file, 'utf8')) as { events: { item: string; type: string }[] };
  expect(exported.events.map((e) => `${e.type} ${e.item}`)).toEqual([...[...viewed, bought].map((id) => `view ${id}`), `cart ${bought}`, `purchase ${bought}`]);

  await page.locator('#forget').click();
  await expect(page.locator('#events li')).toHaveCount(0);
  await page.locator('#privacy-dialog .close').click();
  await page.locator('#open-dev').click();
  await expect(page.locator('#status')).toContainText('0 events');
  await expect(page.locator('#status')).toContainText('not personalised yet');

  // The backends were probed once the page was idle after a recommendation (the wasm binary among them).
  await expect(page.locator('#status')).toContainText(/backend \w+ \(probed: /, { timeout: 30_000 });
  // The recorder saw the session: model files and app code, nothing else.
  const paths = network.requests.map((r) => new URL(r.url).pathname);
  expect(paths).toContain('/test-models/small/weights.bin');
  expect(paths.some((p) => p.startsWith('/tfjs-wasm/'))).toBe(true);
});

test('the network recorder flags a request that carries an item id', async ({ page, network }) => {
  // Guards the guard: the same check as the fixture, applied to a deliberately leaky request.
  const { problems } = await import('./fixtures');
  await page.goto('/test/e2e/harness/index.html');
  const origin = new URL(page.url()).origin;
  const leak = { requests: [{ method: 'POST', url: `${origin}/collect?item=sku-00001`, headers: {}, body: '{"item":"sku-00001"}' }], secrets: new Set(['sku-00001']) };
  expect(problems(leak, origin)).toEqual([
    `POST ${origin}/collect?item=sku-00001: only GET is expected`,
    `request with a body: ${origin}/collect?item=sku-00001`,
    `unexpected request: ${origin}/collect?item=sku-00001`,
    `request carries "sku-00001": ${origin}/collect?item=sku-00001`,
  ]);
  expect(network.requests.length).toBeGreaterThan(0);
});
