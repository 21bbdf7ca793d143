/**
 * <localrec-recommendations> in a real browser, loaded by the script-tag loader on the
 * widget harness (test/e2e/harness/widget.html) with the `display` fixture model, whose
 * items carry images (inline SVG), product links and prices. Fixture item sku-0000i is in
 * category i % 5 (shoes, books, kitchen, garden, toys) and titled "<category> item <i>".
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';

const CATEGORIES = ['shoes', 'books', 'kitchen', 'garden', 'toys'];
const id = (i: number) => `sku-${String(i).padStart(5, '0')}`;
const categoryOf = (itemId: string) => CATEGORIES[Number(itemId.slice(4)) % 5];

async function open(page: Page, query = ''): Promise<void> {
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  await page.goto(`/test/e2e/harness/widget.html${query}`);
}

/** Puts markup into the page's slot, as a shop's template would. */
async function mount(page: Page, html: string): Promise<void> {
  await page.locator('#slot').evaluate((el, markup) => (el.innerHTML = markup), html);
}

/** Ids the widget shows, in order (its items, in the shadow root or the shop's markup). */
async function shownIds(page: Page, selector = 'localrec-recommendations li[data-item]'): Promise<string[]> {
  return page.locator(selector).evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.item!));
}

test('renders image, title, price and product link from items.json, and the page styles it through ::part', async ({ page }) => {
  await open(page);
  await mount(page, '<localrec-recommendations n="4" currency="EUR"></localrec-recommendations>');
  const items = page.locator('localrec-recommendations li[part="item"]');
  await expect(items).toHaveCount(4, { timeout: 30_000 });
  const first = items.first();
  await expect(first.locator('img[part="image"]')).toHaveAttribute('src', /^data:image\/svg\+xml,/);
  await expect(first.locator('a[part="link"]')).toHaveAttribute('href', /^#\/product\/sku-\d{5}$/);
  await expect(first.locator('[part="title"]')).toHaveText(/^(shoes|books|kitchen|garden|toys) item \d+$/);
  await expect(first.locator('[part="price"]')).toHaveText(/€/);
  await expect(page.locator('localrec-recommendations [part="heading"]')).toHaveText('Popular right now');
  await expect(page.locator('localrec-recommendations [part="list"]')).toBeVisible();
  // The harness page's own stylesheet reaches into the shadow root only through the parts.
  await expect(first.locator('[part="title"]')).toHaveCSS('color', 'rgb(200, 0, 0)');
  await expect(first.locator('[part="price"]')).toHaveCSS('font-weight', '700');
  // A link goes where items.json says, unless the shop cancels localrec-select.
  const href = await first.locator('a[part="link"]').getAttribute('href');
  await first.locator('a[part="link"]').click();
  await expect(page).toHaveURL(new RegExp(`${href!.replace(/[/#]/g, '\\$&')}$`));
});

test('fills a <template> child with the item fields, in the light DOM where the shop\u2019s CSS applies', async ({ page }) => {
  await open(page);
  await mount(
    page,
    `<localrec-recommendations n="3"><template>
      <article class="shop-card"><a data-localrec="url"><img data-localrec="image"><h3 data-localrec="title"></h3></a>
      <span class="cost" data-localrec="price"></span><small data-localrec="why"></small></article>
    </template></localrec-recommendations>`,
  );
  const cards = page.locator('localrec-recommendations > [data-localrec-items] > article.shop-card');
  await expect(cards).toHaveCount(3, { timeout: 30_000 });
  const card = cards.first();
  const itemId = await card.getAttribute('data-item');
  expect(itemId).toMatch(/^sku-\d{5}$/);
  await expect(card.locator('h3')).toHaveText(new RegExp(`^${categoryOf(itemId!)} item ${Number(itemId!.slice(4))}$`));
  await expect(card.locator('img')).toHaveAttribute('src', /^data:image\/svg\+xml,/);
  await expect(card.locator('img')).toHaveAttribute('alt', /item/);
  await expect(card.locator('a')).toHaveAttribute('href', `#/product/${itemId}`);
  await expect(card.locator('.cost')).toHaveText(/^\d+\.\d\d$/);
  // No history yet, so nothing explains the item: the empty field is hidden, not left blank.
  await expect(card.locator('small')).toBeHidden();
  // The built-in list stays empty and hidden.
  await expect(page.locator('localrec-recommendations li')).toHaveCount(0);
});

test('uses a render callback for the shop\u2019s own markup, and a cancelled localrec-select keeps the page', async ({ page }) => {
  await open(page);
  await page.locator('#slot').evaluate((slot) => {
    const el = document.createElement('localrec-recommendations') as HTMLElement & { render: unknown };
    el.setAttribute('n', '4');
    el.render = (item: { id: string; title: string; priceText: string }) => {
      const b = document.createElement('button');
      b.className = 'mine';
      b.textContent = `${item.title} for ${item.priceText}`;
      return b;
    };
    slot.addEventListener('localrec-select', (e) => {
      e.preventDefault();
      document.body.dataset.selected = (e as CustomEvent<{ id: string }>).detail.id;
    });
    slot.append(el);
  });
  const buttons = page.locator('localrec-recommendations button.mine');
  await expect(buttons).toHaveCount(4, { timeout: 30_000 });
  await expect(buttons.first()).toHaveText(/ item \d+ for \d+\.\d\d$/);
  const url = page.url();
  await buttons.nth(1).click();
  await expect(page.locator('body')).toHaveAttribute('data-selected', /^sku-\d{5}$/);
  expect(page.url()).toBe(url);
});

test('with a context attribute lists products related to that one, never the product itself, each with its "why?"', async ({ page }) => {
  await open(page);
  const context = id(7); // kitchen
  await mount(page, `<localrec-recommendations n="8" context="${context}"></localrec-recommendations>`);
  const widget = page.locator('localrec-recommendations');
  await expect(widget).toHaveAttribute('data-mode', 'related', { timeout: 30_000 });
  await expect(widget.locator('[part="heading"]')).toHaveText('Related products');
  const ids = await shownIds(page);
  expect(ids).toHaveLength(8);
  expect(ids).not.toContain(context);
  expect(ids.filter((x) => categoryOf(x) === 'kitchen').length).toBeGreaterThanOrEqual(6);
  await expect(widget.locator('[part="why"]').first()).toContainText('Similar to kitchen item 7');
});

test('keeps the popular fallback without history, and re-renders when the SDK reports a personalisation', async ({ page, network }) => {
  const viewed = [1, 6, 11, 16, 21].map(id); // books
  for (const x of viewed) network.secrets.add(x);
  // Idle personalisation off: only the explicit personalise() below changes the shopper.
  await open(page, '?consent=granted&debounce=0');
  await mount(page, '<localrec-recommendations n="6"></localrec-recommendations>');
  const widget = page.locator('localrec-recommendations');
  await expect(widget).toHaveAttribute('data-mode', 'popular', { timeout: 30_000 });
  await expect(widget).toHaveAttribute('data-personalised', 'false');

  // Straight through the client: no queued command tells the widget; only the SDK's 'personalised' event can.
  await page.evaluate(async (items) => {
    const api = window.localrec;
    const client = api && !Array.isArray(api) ? await api.ready : null;
    await client!.track(items.map((item) => ({ item, type: 'view' as const })));
  }, viewed);
  await page.waitForTimeout(300);
  await expect(widget).toHaveAttribute('data-mode', 'popular');
  await page.evaluate(async () => {
    const api = window.localrec;
    const client = api && !Array.isArray(api) ? await api.ready : null;
    await client!.personalise();
  });
  await expect(widget).toHaveAttribute('data-personalised', 'true');
  await expect(widget).toHaveAttribute('data-mode', 'personal');
  await expect(widget.locator('[part="heading"]')).toHaveText('Recommended for you');
  const ids = await shownIds(page);
  expect(ids.filter((x) => categoryOf(x) === 'books').length).toBeGreaterThanOrEqual(4);
  for (const x of viewed) expect(ids).not.toContain(x);

  // "why?" per item: closed until asked, then the shopper's own views.
  const why = widget.locator('li').first().locator('[part="why"]');
  await expect(why.locator('[part="why-text"]')).toBeHidden();
  await why.locator('[part="why-toggle"]').click();
  await expect(why.locator('[part="why-text"]')).toBeVisible();
  await expect(why.locator('[part="why-text"]')).toContainText(/^Because you viewed books item \d+/);
});

test('drops an item the shop marks unavailable through the queue, and shows it again once available', async ({ page }) => {
  await open(page);
  await mount(page, '<localrec-recommendations n="4"></localrec-recommendations>');
  await expect(page.locator('localrec-recommendations li')).toHaveCount(4, { timeout: 30_000 });
  const before = await shownIds(page);
  await page.evaluate((x) => (window.localrec as { push(c: unknown): void }).push(['setAvailability', [x], false]), before[0]);
  await expect.poll(() => shownIds(page)).not.toContain(before[0]);
  await page.evaluate((x) => (window.localrec as { push(c: unknown): void }).push(['setAvailability', [x], true]), before[0]);
  await expect.poll(() => shownIds(page)).toEqual(before);
});

test('never turns a javascript: link or a non-image data: URL from items.json into an href or an image', async ({ page }) => {
  // The display model with every item's url and image replaced, its manifest re-hashed to match.
  const dir = '.cache/models/display';
  const items = JSON.parse(readFileSync(join(dir, 'items.json'), 'utf8')) as Record<string, unknown>[];
  for (const it of items) Object.assign(it, { url: 'javascript:alert(1)', image: 'data:text/html,<script>alert(1)</script>' });
  const bytes = Buffer.from(JSON.stringify(items));
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { files: { path: string; bytes: number; sha256: string }[] };
  Object.assign(manifest.files.find((f) => f.path === 'items.json')!, { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  await page.route('**/test-models/display/items.json', (r) => r.fulfill({ body: bytes, contentType: 'application/json' }));
  await page.route('**/test-models/display/manifest.json', (r) => r.fulfill({ body: JSON.stringify(manifest), contentType: 'application/json' }));

  await open(page);
  await mount(page, '<localrec-recommendations n="4"></localrec-recommendations>');
  const items4 = page.locator('localrec-recommendations li[part="item"]');
  await expect(items4).toHaveCount(4, { timeout: 30_000 });
  await expect(page.locator('localrec-recommendations a[href]')).toHaveCount(0);
  await expect(page.locator('localrec-recommendations img')).toHaveCount(0);
  await expect(items4.first().locator('[part="title"]')).toHaveText(/ item \d+$/);
  // Nor hands it to the page: the select event, the render callback and recommend() carry no such URL.
  await page.locator('#slot').evaluate((slot) => slot.addEventListener('localrec-select', (e) => (document.body.dataset.selectedUrl = String((e as CustomEvent<{ url: unknown }>).detail.url))));
  await items4.first().locator('[part="link"]').click();
  await expect(page.locator('body')).toHaveAttribute('data-selected-url', 'null');
  const seen = await page.evaluate(async () => {
    const client = await (window.localrec as unknown as { ready: Promise<{ recommend(o: object): Promise<{ items: { url?: string; image?: string }[] }> }> }).ready;
    const rec = await client.recommend({ n: 20 });
    const el = document.createElement('localrec-recommendations') as HTMLElement & { render: unknown };
    const rendered: unknown[] = [];
    el.render = (item: { url?: string; image?: string }) => (rendered.push(item), document.createElement('span'));
    document.body.append(el);
    while (rendered.length === 0) await new Promise((r) => setTimeout(r, 50));
    const urls = [...rec.items, ...(rendered as typeof rec.items)].flatMap((i) => [i.url, i.image]).filter((u) => u !== undefined);
    return { items: rec.items.length + rendered.length, urls };
  });
  expect(seen.items).toBeGreaterThan(20);
  expect(seen.urls).toEqual([]);
});
