/** The product tile of category grids and the home page. */
import type { ItemMeta } from '../src/index';
import { formatPrice } from './catalogue';
import type { ShopContext } from './context';
import { h } from './dom';
import { productImage } from './product-image';

export function productLink(id: string): string {
  return `#/product/${encodeURIComponent(id)}`;
}

export function productCard(ctx: ShopContext, it: ItemMeta): HTMLElement {
  return h(
    'article',
    { class: 'card', 'data-item': it.id, 'data-category': it.categories[0] ?? '' },
    h(
      'a',
      { href: productLink(it.id) },
      h('img', { src: productImage(it, ctx.choice.imageStyle), alt: '', width: 200, height: 200 }),
      h('span', { class: 'card-title' }, it.title),
    ),
    h('span', { class: 'card-meta' }, [it.brand, ctx.choice.sells ? formatPrice(it.price) : it.categories.join(' · ')].filter(Boolean).join(' · ')),
  );
}
