/**
 * The widget's markup: the built-in item (every piece a ::part), the shop's <template>
 * filled in, and the shadow root's style. Titles and URLs from items.json are set as text
 * and checked URLs, never parsed as HTML.
 */
import { safeUrl } from '../browser/safe-url';
import type { Recommendation, RecommendMode } from '../browser/types';

/** One item as the widget renders it: the recommendation and its "why?" text (empty when nothing explains it). */
export interface WidgetItem extends Recommendation {
  why: string;
  /** The price formatted for display (see the `currency` attribute), or '' without a price. */
  priceText: string;
}

/** The shop's markup for one item (the `render` property). Return a Node; strings are not parsed, so titles can never inject HTML. */
export type WidgetRender = (item: WidgetItem, index: number) => Node;

export const HEADINGS: Record<RecommendMode, string> = { personal: 'Recommended for you', popular: 'Popular right now', related: 'Related products' };

export const STYLE = `:host{display:block}:host([data-count="0"]){display:none}
ul{list-style:none;margin:0;padding:0;display:grid;gap:1rem;grid-template-columns:repeat(auto-fill,minmax(var(--localrec-item-width,10rem),1fr))}
li{display:flex;flex-direction:column;gap:.25rem}a{color:inherit;text-decoration:none;display:flex;flex-direction:column;gap:.25rem;cursor:pointer}
img{width:100%;aspect-ratio:1;object-fit:cover;border-radius:.25rem;background:#eee}.localrec-title{font-weight:600}
details{font-size:.85em;color:#666}summary{cursor:pointer}`;

export function priceText(price: number | undefined, currency: string | null): string {
  if (price === undefined) return '';
  const lang = document.documentElement.lang || undefined;
  try {
    return new Intl.NumberFormat(lang, currency ? { style: 'currency', currency } : { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(price);
  } catch {
    return price.toFixed(2); // an unknown currency code
  }
}

export function node<K extends keyof HTMLElementTagNameMap>(tag: K, part: string, text?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  el.setAttribute('part', part);
  el.className = `localrec-${part}`;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** The built-in markup for one item, every piece a ::part. */
export function defaultItem(item: WidgetItem, select: (item: WidgetItem, ev: Event) => void): HTMLLIElement {
  const li = node('li', 'item');
  li.dataset.item = item.id;
  const href = safeUrl(item.url);
  const link = node('a', 'link');
  if (href) link.href = href;
  else link.tabIndex = 0;
  link.addEventListener('click', (ev) => select(item, ev));
  const src = safeUrl(item.image, true);
  if (src) {
    const img = node('img', 'image');
    img.src = src;
    img.alt = '';
    img.loading = 'lazy';
    link.append(img);
  }
  link.append(node('span', 'title', item.title));
  li.append(link);
  if (item.priceText) li.append(node('span', 'price', item.priceText));
  if (item.why) {
    const details = node('details', 'why');
    details.append(node('summary', 'why-toggle', 'why?'), node('p', 'why-text', item.why));
    // The older class name stays for pages that styled it.
    details.lastElementChild!.classList.add('localrec-why');
    li.append(details);
  }
  return li;
}

/**
 * The shop's <template> for one item. Elements with `data-localrec="<field>"` are filled:
 * title, brand, category, price (formatted), why: text; image: an <img>'s src (alt = title);
 * url: an <a>'s href. Elements whose field is empty get `hidden`. Each top-level element
 * of the copy gets `data-item` (clicks on it dispatch localrec-select).
 */
export function fillTemplate(template: HTMLTemplateElement, item: WidgetItem): DocumentFragment {
  const frag = template.content.cloneNode(true) as DocumentFragment;
  const text: Record<string, string> = { title: item.title, brand: item.brand ?? '', category: item.categories[0] ?? '', price: item.priceText, why: item.why };
  for (const el of frag.querySelectorAll<HTMLElement>('[data-localrec]')) {
    const field = el.dataset.localrec!;
    let value: string | null = null;
    if (field === 'image') {
      value = safeUrl(item.image, true);
      if (value && el instanceof HTMLImageElement) {
        el.src = value;
        if (!el.alt) el.alt = item.title;
      }
    } else if (field === 'url') {
      value = safeUrl(item.url);
      if (value && el instanceof HTMLAnchorElement) el.href = value;
    } else if (field in text) {
      value = text[field];
      el.textContent = value;
    }
    if (!value) el.hidden = true;
  }
  for (const el of frag.children) (el as HTMLElement).dataset.item = item.id;
  return frag;
}

/** The shadow root's heading and list, styled by a constructed sheet (a strict style-src CSP does not block it; a <style> where those are missing). */
export function shadowParts(root: ShadowRoot): { heading: HTMLHeadingElement; list: HTMLUListElement } {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLE);
    root.adoptedStyleSheets = [sheet];
  } catch {
    const style = document.createElement('style');
    style.textContent = STYLE;
    root.append(style);
  }
  const parts = { heading: node('h2', 'heading'), list: node('ul', 'list') };
  root.append(parts.heading, parts.list, document.createElement('slot'));
  return parts;
}

/** The shop's own markup for the items (its `render` callback, else its <template> child), or null to use the built-in one. */
export function customItems(el: Element, render: WidgetRender | null, items: WidgetItem[], select: (item: WidgetItem, ev: Event) => void): Node[] | null {
  const template = el.querySelector(':scope > template');
  const custom = render ?? (template instanceof HTMLTemplateElement ? (item: WidgetItem) => fillTemplate(template, item) : null);
  if (!custom) return null;
  return items.map((item, i) => {
    const n = custom(item, i);
    const first = n instanceof DocumentFragment ? n.firstElementChild : n;
    first?.addEventListener('click', (ev) => select(item, ev));
    return n;
  });
}
