/** A category (or genre) page: its items a page at a time, under the "for you" row. */
import { titleCase } from '../catalogue';
import type { ShopContext } from '../context';
import { h } from '../dom';
import { productCard } from '../product-card';
import { forYouStrip } from './for-you';

const PAGE = 24;

export function categoryPage(ctx: ShopContext, category: string): HTMLElement {
  const items = ctx.catalogue.inCategory(category);
  const grid = h('div', { class: 'grid' });
  let shown = 0;
  const more = h('button', { type: 'button', class: 'more', onclick: () => showMore() }, 'Show more');
  const showMore = () => {
    grid.append(...items.slice(shown, shown + PAGE).map((it) => productCard(ctx, it)));
    shown = Math.min(items.length, shown + PAGE);
    more.hidden = shown >= items.length;
  };
  showMore();
  return h(
    'div',
    { class: 'page page-category', 'data-category': category },
    h('nav', { class: 'crumbs' }, h('a', { href: '#/' }, 'Shop'), ' / ', titleCase(category)),
    h('h1', {}, titleCase(category), h('small', {}, ` ${items.length} ${ctx.choice.noun.many}`)),
    forYouStrip(ctx),
    grid,
    more,
  );
}
