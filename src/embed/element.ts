/**
 * <localrec-recommendations>: the shop's recommendation slot (loaded lazily by the
 * script-tag loader, as localrec-widget.js in the package).
 *
 *   <localrec-recommendations n="4" category="shoes" context="p0042" exclude="p1 p2"
 *     price-min="10" price-max="80" currency="EUR" heading="You may also like">
 *
 * Renders image, title, price, a link and a "why?" line per item into its shadow root,
 * styleable through ::part(heading | list | item | link | image | title | price | why |
 * why-toggle | why-text). A `<template>` child, or a `render` callback property, gives the
 * shop's own markup instead (rendered into the light DOM, so the shop's CSS applies; see
 * fillTemplate for the data-localrec fields). With `context` it lists items related to that
 * product; without history it falls back to the popular items. Refreshes when the shopper
 * is personalised, consent changes, or a queued command changes what to recommend.
 * Dispatches `localrec-select` ({ id, url }; cancelable) when an item is clicked, and
 * `localrec-rendered` ({ items, mode }) after each render. Never throws into the page.
 */
import type { Localrec } from '../browser/main-client';
import type { Explanation, Recommendation, RecommendMode, RecommendOptions, RecommendResult } from '../browser/types';
import { CHANGE_EVENT } from './events';
import type { Logger } from './queue';

/** One item as the widget renders it: the recommendation and its "why?" text (empty when nothing explains it). */
export interface WidgetItem extends Recommendation {
  why: string;
  /** The price formatted for display (see the `currency` attribute), or '' without a price. */
  priceText: string;
}

/** The shop's markup for one item (the `render` property). Return a Node; strings are not parsed, so titles can never inject HTML. */
export type WidgetRender = (item: WidgetItem, index: number) => Node;

export interface RecommendationsElement extends HTMLElement {
  render: WidgetRender | null;
  /** Renders again now (e.g. after calling the client's setAvailability directly). */
  refresh(): void;
}

const HEADINGS: Record<RecommendMode, string> = { personal: 'Recommended for you', popular: 'Popular right now', related: 'Related products' };

const STYLE = `:host{display:block}:host([data-count="0"]){display:none}
ul{list-style:none;margin:0;padding:0;display:grid;gap:1rem;grid-template-columns:repeat(auto-fill,minmax(var(--localrec-item-width,10rem),1fr))}
li{display:flex;flex-direction:column;gap:.25rem}a{color:inherit;text-decoration:none;display:flex;flex-direction:column;gap:.25rem;cursor:pointer}
img{width:100%;aspect-ratio:1;object-fit:cover;border-radius:.25rem;background:#eee}.localrec-title{font-weight:600}
details{font-size:.85em;color:#666}summary{cursor:pointer}`;

const list = (v: string | null) => (v ?? '').split(/[\s,]+/).filter(Boolean);
const num = (v: string | null) => (v === null || v.trim() === '' || !Number.isFinite(Number(v)) ? undefined : Number(v));

/** recommend() options from the element's attributes. */
export function optionsFromAttributes(el: Element): RecommendOptions {
  const opts: RecommendOptions = { n: Math.min(1000, Math.max(1, Math.floor(num(el.getAttribute('n')) ?? 4))) };
  const categories = el.getAttribute('category')?.split(',').map((c) => c.trim()).filter(Boolean);
  if (categories?.length) opts.categories = categories;
  const context = el.getAttribute('context')?.trim();
  if (context) opts.context = context;
  const exclude = list(el.getAttribute('exclude'));
  if (exclude.length) opts.exclude = exclude;
  const min = num(el.getAttribute('price-min'));
  const max = num(el.getAttribute('price-max'));
  if (min !== undefined || max !== undefined) opts.price = { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
  return opts;
}

/** http(s) or page-relative URLs only (and inline images), so items.json can never smuggle a javascript: link in. */
export function safeUrl(url: string | undefined, image = false): string | null {
  if (!url) return null;
  if (image && /^data:image\/(png|jpeg|gif|webp|avif|svg\+xml)[;,]/i.test(url)) return url;
  try {
    return /^https?:$/.test(new URL(url, document.baseURI).protocol) ? url : null;
  } catch {
    return null;
  }
}

function priceText(price: number | undefined, currency: string | null): string {
  if (price === undefined) return '';
  const lang = document.documentElement.lang || undefined;
  try {
    return new Intl.NumberFormat(lang, currency ? { style: 'currency', currency } : { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(price);
  } catch {
    return price.toFixed(2); // an unknown currency code
  }
}

function node<K extends keyof HTMLElementTagNameMap>(tag: K, part: string, text?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  el.setAttribute('part', part);
  el.className = `localrec-${part}`;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** The built-in markup for one item, every piece a ::part. */
function defaultItem(item: WidgetItem, select: (item: WidgetItem, ev: Event) => void): HTMLLIElement {
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

export function defineRecommendationsElement(getClient: () => Promise<Localrec | null>, log: Logger): void {
  if (typeof customElements === 'undefined' || customElements.get('localrec-recommendations')) return;

  class Element extends HTMLElement implements RecommendationsElement {
    private readonly onChange = () => this.refresh();
    private timer: ReturnType<typeof setTimeout> | null = null;
    private unsubscribe: (() => void) | null = null;
    private renderFn: WidgetRender | null = null;
    /** Bumped per render, so a slow older render never overwrites a newer one. */
    private generation = 0;
    private readonly root: ShadowRoot;
    private readonly heading: HTMLHeadingElement;
    private readonly list: HTMLUListElement;
    /** Light-DOM container for the shop's own markup (template or render callback). */
    private readonly custom: HTMLDivElement;

    static get observedAttributes() {
      return ['n', 'category', 'context', 'exclude', 'price-min', 'price-max', 'heading', 'currency'];
    }

    constructor() {
      super();
      this.root = this.attachShadow({ mode: 'open' });
      this.heading = node('h2', 'heading');
      this.list = node('ul', 'list');
      this.custom = document.createElement('div');
      this.custom.dataset.localrecItems = '';
      // A constructed sheet, not a <style>: a strict style-src CSP does not block it.
      try {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(STYLE);
        this.root.adoptedStyleSheets = [sheet];
      } catch {
        const style = document.createElement('style');
        style.textContent = STYLE;
        this.root.append(style);
      }
      this.root.append(this.heading, this.list, document.createElement('slot'));
      // The page may have set `render` before this lazily loaded class upgraded the element:
      // that own property would hide the accessor, so move it behind the accessor.
      const early = Object.getOwnPropertyDescriptor(this, 'render');
      if (early) {
        delete (this as { render?: unknown }).render;
        this.renderFn = typeof early.value === 'function' ? (early.value as WidgetRender) : null;
      }
    }

    get render(): WidgetRender | null {
      return this.renderFn;
    }
    set render(fn: WidgetRender | null) {
      this.renderFn = typeof fn === 'function' ? fn : null;
      this.refresh();
    }

    connectedCallback() {
      document.addEventListener(CHANGE_EVENT, this.onChange);
      void getClient().then((c) => {
        if (!c || !this.isConnected || this.unsubscribe) return;
        this.unsubscribe = c.subscribe((e) => {
          if (e.type === 'personalised' || e.type === 'consent' || e.type === 'ready') this.refresh();
        });
      });
      this.refresh();
    }

    disconnectedCallback() {
      document.removeEventListener(CHANGE_EVENT, this.onChange);
      this.unsubscribe?.();
      this.unsubscribe = null;
    }

    attributeChangedCallback() {
      if (this.isConnected) this.refresh();
    }

    refresh() {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.draw(), 50);
    }

    private async draw() {
      const generation = ++this.generation;
      try {
        const client = await getClient();
        if (!client) return;
        const opts = optionsFromAttributes(this);
        const rec = await client.recommend(opts);
        const explained = await Promise.all(
          rec.items.map((r) => client.explain(r.id, { n: 2, ...(rec.mode === 'related' && opts.context ? { context: opts.context } : {}) }).catch((): Explanation | null => null)),
        );
        if (generation !== this.generation) return;
        const currency = this.getAttribute('currency');
        const items = rec.items.map((r, i): WidgetItem => ({ ...r, why: explained[i]?.text ?? '', priceText: priceText(r.price, currency) }));
        this.show(rec, items);
      } catch (e) {
        log.warn('could not render recommendations:', e);
      }
    }

    private show(rec: RecommendResult, items: WidgetItem[]) {
      this.heading.textContent = this.getAttribute('heading') ?? HEADINGS[rec.mode];
      const select = (item: WidgetItem, ev: Event) => {
        const go = this.dispatchEvent(new CustomEvent('localrec-select', { detail: { id: item.id, url: item.url ?? null }, bubbles: true, composed: true, cancelable: true }));
        if (!go) ev.preventDefault();
      };
      const template = this.querySelector(':scope > template');
      const custom = this.renderFn ?? (template instanceof HTMLTemplateElement ? (item: WidgetItem) => fillTemplate(template, item) : null);
      if (custom) {
        const nodes = items.map((item, i) => {
          const n = custom(item, i);
          const first = n instanceof DocumentFragment ? n.firstElementChild : n;
          first?.addEventListener('click', (ev) => select(item, ev));
          return n;
        });
        this.custom.replaceChildren(...nodes);
        if (this.custom.parentNode !== this) this.append(this.custom);
        this.list.replaceChildren();
      } else {
        this.custom.remove();
        this.list.replaceChildren(...items.map((item) => defaultItem(item, select)));
      }
      this.list.hidden = custom !== null;
      this.dataset.mode = rec.mode;
      this.dataset.personalised = String(rec.personalised);
      this.dataset.count = String(items.length);
      this.dispatchEvent(new CustomEvent('localrec-rendered', { detail: { items: items.map((r) => r.id), mode: rec.mode }, bubbles: true }));
    }
  }
  customElements.define('localrec-recommendations', Element);
}
