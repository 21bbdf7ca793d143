/** The cart and its checkout: paying records a purchase of every line, then thanks the shopper. */
import { formatPrice } from '../catalogue';
import type { ShopContext } from '../context';
import { h } from '../dom';
import { productLink } from '../product-card';
import { productImage } from '../product-image';
import { widgetStrip } from '../widget-strip';
import { forYouStrip } from './for-you';

export function cartPage(ctx: ShopContext): HTMLElement {
  const lines = ctx.cart.items.flatMap((l) => {
    const it = ctx.catalogue.byId.get(l.id);
    return it ? [{ it, qty: l.qty }] : [];
  });
  const title = ctx.choice.sells ? 'Your cart' : 'Your watchlist';
  if (lines.length === 0) {
    return h('div', { class: 'page page-cart' }, h('h1', {}, title), h('p', {}, 'Nothing here yet. ', h('a', { href: '#/' }, 'Keep browsing')), forYouStrip(ctx));
  }
  const total = lines.reduce((s, l) => s + (l.it.price ?? 0) * l.qty, 0);
  const rows = lines.map(({ it, qty }) =>
    h(
      'li',
      { class: 'cart-line', 'data-item': it.id },
      h('img', { src: productImage(it, ctx.choice.imageStyle), alt: '', width: 64, height: 64 }),
      h('a', { href: productLink(it.id) }, it.title),
      h('span', { class: 'qty' }, `× ${qty}`),
      ctx.choice.sells ? h('span', { class: 'line-price' }, formatPrice((it.price ?? 0) * qty)) : null,
      h('button', { type: 'button', class: 'link', onclick: () => { ctx.cart.remove(it.id); location.hash = '#/cart'; } }, 'Remove'),
    ),
  );
  const checkout = () => {
    for (const { it } of lines) ctx.track(it.id, 'purchase');
    ctx.cart.clear();
    location.hash = '#/thanks';
  };
  return h(
    'div',
    { class: 'page page-cart' },
    h('h1', {}, title),
    h('ul', { class: 'cart-lines' }, ...rows),
    h(
      'div',
      { class: 'checkout' },
      ctx.choice.sells ? h('p', { class: 'total' }, `Total ${formatPrice(total)}`) : null,
      h('button', { type: 'button', class: 'primary', id: 'checkout', onclick: checkout }, ctx.choice.sells ? 'Pay now' : 'Mark all as watched'),
      h('p', { class: 'fineprint' }, 'A demo checkout: no payment, no order is sent anywhere. Paying records a purchase for the recommender on this device.'),
    ),
    widgetStrip(ctx, { heading: 'Goes with your cart', n: 6, context: lines[0].it.id }),
  );
}

export function thanksPage(ctx: ShopContext): HTMLElement {
  return h(
    'div',
    { class: 'page page-thanks' },
    h('h1', {}, ctx.choice.sells ? 'Thank you for your order' : 'Enjoy the films'),
    h('p', {}, 'Your purchase is recorded on this device, and the recommendations below already take it into account.'),
    widgetStrip(ctx, { heading: ctx.choice.sells ? 'You may also like' : 'Watch next', n: 6 }),
  );
}
