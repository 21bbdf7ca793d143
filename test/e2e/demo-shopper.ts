/** A shopper's walk through the demo shop, shared by the specs that drive it. */
import { expect, type Page } from '@playwright/test';

/** Opens each product from its category page (one view each). */
export async function viewProducts(page: Page, category: string, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    await page.locator(`#categories a[data-category="${category}"]`).click();
    const card = page.locator(`.card[data-item="${id}"] a`);
    while (!(await card.count())) await page.locator('button.more').click();
    await card.click();
    await expect(page.locator('.page-product')).toHaveAttribute('data-item', id);
  }
}

/** Opens the product, adds it to the cart and pays: a view, a cart and a purchase event. */
export async function buyProduct(page: Page, category: string, id: string): Promise<void> {
  await viewProducts(page, category, [id]);
  await page.locator('button[data-act="cart"]').click();
  await page.locator('#cart-link').click();
  await page.locator('#checkout').click();
  await expect(page.locator('.page-thanks')).toBeVisible();
}
