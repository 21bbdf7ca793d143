/**
 * The SDK's own widget, `<localrec-recommendations>`, in the demo's markup: a `render`
 * callback draws each item as the demo's other rows do (the picture drawn in the page, so
 * showing an item never requests a URL that names it). Used on the cart and thank-you
 * pages, where a shop would paste the widget rather than write code.
 */
import type { RecommendationsElement, WidgetItem } from '../src/embed/element';
import type { ShopContext } from './context';
import { h } from './dom';
import { productLink } from './product-card';
import { productImage } from './product-image';

function widgetCard(ctx: ShopContext, item: WidgetItem): HTMLElement {
  const meta = ctx.catalogue.byId.get(item.id) ?? { id: item.id, title: item.title, categories: item.categories };
  return h(
    'div',
    { class: 'rec-card', 'data-item': item.id, 'data-category': meta.categories[0] ?? '' },
    h('a', { href: productLink(item.id), class: 'rec-link' }, h('img', { src: productImage(meta, ctx.choice.imageStyle), alt: '', width: 160, height: 160 }), h('span', { class: 'rec-title' }, item.title)),
    h('span', { class: 'rec-meta' }, ctx.choice.sells ? item.priceText : meta.categories.slice(0, 2).join(' · ')),
    item.why ? h('details', { class: 'why-details' }, h('summary', { class: 'why-btn' }, 'why?'), h('p', { class: 'why' }, item.why)) : null,
  );
}

export function widgetStrip(ctx: ShopContext, attrs: { heading: string; n: number; context?: string }): HTMLElement {
  const el = document.createElement('localrec-recommendations') as RecommendationsElement;
  el.className = 'widget-strip';
  el.setAttribute('heading', attrs.heading);
  el.setAttribute('n', String(attrs.n));
  el.setAttribute('currency', 'EUR');
  if (attrs.context) el.setAttribute('context', attrs.context);
  el.render = (item) => widgetCard(ctx, item);
  return h('section', { class: 'strip', 'data-strip': 'widget' }, el);
}
