/**
 * The demo shop on a phone (390 × 844 CSS px, touch): every page a shopper reaches lays out
 * within the screen (no horizontal scroll: rows of recommendations scroll sideways inside
 * themselves), the header's controls are on screen, and the row's copy says what the list
 * is after one product view. The home page after that view is written to
 * docs/img/demo-phone.png, which the README shows.
 */
import { expect, test } from './fixtures';
import type { Page } from '@playwright/test';
import { viewProducts } from './demo-shopper';

const WIDTH = 390;
test.use({ viewport: { width: WIDTH, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });

/** The page is no wider than the screen (what a phone would let the shopper scroll sideways). */
async function expectNoHorizontalScroll(page: Page, where: string): Promise<void> {
  const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
  expect(scroll, `${where}: page is ${scroll} px wide on a ${inner} px screen`).toBeLessThanOrEqual(inner);
}

async function expectOnScreen(page: Page, selector: string): Promise<void> {
  const box = await page.locator(selector).boundingBox();
  expect(box, selector).not.toBeNull();
  expect(box!.x, selector).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width, selector).toBeLessThanOrEqual(WIDTH);
}

test('the demo shop fits a 390 px phone: home, category, product, cart and the privacy panel, with honest row copy', async ({ page }) => {
  test.setTimeout(90_000);
  await page.goto('/demo/?backend=wasm');
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 60_000 });
  const forYou = page.locator('[data-strip="for-you"]');
  await expect(forYou.locator('.rec-card')).toHaveCount(6);
  await expect(forYou.locator('.strip-note')).toContainText('Popular picks for now');
  await expectNoHorizontalScroll(page, 'home');
  for (const control of ['#open-privacy', '#open-dev', '#cart-link', '#catalogue']) await expectOnScreen(page, control);

  const category = (await page.locator('#categories a[data-category]').first().getAttribute('data-category'))!;
  await page.locator(`#categories a[data-category="${category}"]`).click();
  await expect(page.locator('.page-category .card').first()).toBeVisible();
  await expectNoHorizontalScroll(page, 'category');
  const id = (await page.locator('.page-category .card').first().getAttribute('data-item'))!;
  await viewProducts(page, category, [id]);
  await expectNoHorizontalScroll(page, 'product');
  await expectOnScreen(page, 'button[data-act="cart"]');
  await page.locator('button[data-act="cart"]').click();
  await expect(page.locator('#cart-count')).toHaveText('1');

  // One view: the row is built from it (or already learned from it), so it no longer says "popular".
  await page.locator('a.logo').click();
  await expect(page.locator('.page-home')).toBeVisible();
  await expect(forYou).toHaveAttribute('aria-busy', 'false');
  await expect(forYou.locator('.strip-note')).not.toContainText('Popular picks');
  // Items new to the row are marked as new here, not as new products.
  for (const text of await forYou.locator('.badge').allTextContents()) expect(text).toBe('new here');
  await expectNoHorizontalScroll(page, 'home after a view');
  await page.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));
  await page.screenshot({ path: 'docs/img/demo-phone.png', animations: 'disabled', caret: 'hide' });

  await page.locator('#cart-link').click();
  await expect(page.locator('.page-cart .cart-line')).toHaveCount(1);
  await expectNoHorizontalScroll(page, 'cart');

  await page.locator('#open-privacy').click();
  const panel = page.locator('dialog[open]');
  await expect(panel).toBeVisible();
  const box = (await panel.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(WIDTH);
  await expectNoHorizontalScroll(page, 'privacy panel');
});
