/**
 * A product page: the picture, the details and "add to cart", then "related to this
 * product" (the recommender's context mode) and the "for you" row. Opening the page is a
 * view; adding to the cart is a cart event.
 */
import { formatPrice, titleCase } from '../catalogue';
import type { ShopContext } from '../context';
import { h } from '../dom';
import { productImage } from '../product-image';
import { recommendationStrip } from '../strip';
import { forYouStrip } from './for-you';

export function productPage(ctx: ShopContext, id: string): HTMLElement {
  const it = ctx.catalogue.byId.get(id);
  if (!it) return h('div', { class: 'page' }, h('h1', {}, 'Not found'), h('p', {}, `This shop has no ${ctx.choice.noun.one} “${id}”. `, h('a', { href: '#/' }, 'Back to the shop')));
  ctx.track(it.id, 'view');
  const category = it.categories[0];
  const added = h('span', { class: 'added', 'aria-live': 'polite' });
  const addLabel = ctx.choice.sells ? 'Add to cart' : 'Add to watchlist';
  const buy = h(
    'button',
    {
      type: 'button',
      class: 'primary',
      'data-act': 'cart',
      onclick: () => {
        ctx.cart.add(it.id);
        ctx.track(it.id, 'cart');
        added.textContent = ctx.choice.sells ? 'Added to your cart.' : 'Added to your watchlist.';
      },
    },
    addLabel,
  );
  return h(
    'div',
    { class: 'page page-product', 'data-item': it.id },
    h('nav', { class: 'crumbs' }, h('a', { href: '#/' }, 'Shop'), ' / ', category ? h('a', { href: `#/c/${encodeURIComponent(category)}` }, titleCase(category)) : null),
    h(
      'div',
      { class: 'product' },
      h('img', { class: 'product-image', src: productImage(it, ctx.choice.imageStyle), alt: it.title, width: 240, height: 240 }),
      h(
        'div',
        { class: 'product-info' },
        h('h1', {}, it.title),
        it.brand ? h('p', { class: 'brand' }, `by ${it.brand}`) : null,
        h('p', { class: 'categories' }, it.categories.map(titleCase).join(' · ')),
        ctx.choice.sells ? h('p', { class: 'price' }, formatPrice(it.price)) : null,
        h('div', { class: 'buy' }, buy, added),
        h('p', { class: 'fineprint' }, `Opening this page told the recommender in your browser that you viewed it. It stays on this device: see “Your data”.`),
      ),
    ),
    recommendationStrip(ctx, {
      key: `related:${it.id}`,
      heading: ctx.choice.sells ? 'Related to this product' : 'Related to this film',
      context: it.id,
      load: (rec) => rec.related(it.id, 6),
      slots: 6,
      note: (l) => `What goes with ${it.title}${l.personalised ? ', tuned to what you looked at' : ''}.`,
    }),
    forYouStrip(ctx),
  );
}
