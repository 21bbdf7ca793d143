/** The shop's front page: the "for you" row, the categories and a page of the catalogue. */
import { titleCase } from '../catalogue';
import type { ShopContext } from '../context';
import { h } from '../dom';
import { productCard } from '../product-card';
import { productImage } from '../product-image';
import { forYouStrip } from './for-you';

const SHOWN = 12;

export function homePage(ctx: ShopContext): HTMLElement {
  const tiles = ctx.catalogue.categories.slice(0, 12).map((c) => {
    const first = ctx.catalogue.inCategory(c)[0];
    return h(
      'a',
      { class: 'category-tile', href: `#/c/${encodeURIComponent(c)}`, 'data-category': c },
      first ? h('img', { src: productImage(first, ctx.choice.imageStyle), alt: '', width: 96, height: 96 }) : null,
      h('span', {}, titleCase(c)),
    );
  });
  return h(
    'div',
    { class: 'page page-home' },
    forYouStrip(ctx),
    h('section', {}, h('h2', {}, ctx.choice.sells ? 'Shop by category' : 'Browse by genre'), h('nav', { class: 'category-tiles', 'aria-label': 'Categories' }, ...tiles)),
    h('section', {}, h('h2', {}, 'From the catalogue'), h('div', { class: 'grid' }, ...ctx.catalogue.items.slice(0, SHOWN).map((it) => productCard(ctx, it)))),
  );
}
