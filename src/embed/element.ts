/**
 * `<localrec-recommendations>`: the shop's recommendation slot (loaded lazily by the
 * script-tag loader, as localrec-widget.js in the package).
 *
 * ```html
 * <localrec-recommendations n="4" category="shoes" context="p0042" exclude="p1 p2"
 *   price-min="10" price-max="80" currency="EUR" heading="You may also like">
 * ```
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
 * Import path `localrec/widget`; its reference is named `localrec-widget`.
 *
 * @packageDocumentation
 */
import type { Localrec } from '../browser/main-client';
import { safeUrl } from '../browser/safe-url';
import type { RecommendResult } from '../browser/types';
import { OBSERVED_ATTRIBUTES, optionsFromAttributes } from './element-attributes';
import { customItems, defaultItem, HEADINGS, priceText, shadowParts, type WidgetItem, type WidgetRender } from './element-markup';
import { CHANGE_EVENT } from './events';
import { createLogger, type Logger } from './queue';

// The element's own types; the client's (Localrec, Recommendation, …) come from 'localrec'
// (scripts/api-declarations.ts points this entry's declarations there).
export type { Logger } from './queue';

declare global {
  interface HTMLElementTagNameMap {
    /** Typed once 'localrec/widget' or 'localrec/embed' is imported (types or code). */
    'localrec-recommendations': RecommendationsElement;
  }
}

export type { WidgetItem, WidgetRender } from './element-markup';

export interface RecommendationsElement extends HTMLElement {
  render: WidgetRender | null;
  /** Renders again now (e.g. after calling the client's setAvailability directly). */
  refresh(): void;
}

/** What the element needs from the loader; set once by defineRecommendationsElement. */
let host: { getClient: () => Promise<Localrec | null>; log: Logger } | null = null;

// Outside a browser (a bundler's or test's Node) the module still loads; the class is only defined in a browser.
const Base = (globalThis.HTMLElement ?? class {}) as typeof HTMLElement;

/** The element's lifecycle: connected, attributes changed, personalised or consent changed → draw again (debounced). */
class RecommendationsWidget extends Base implements RecommendationsElement {
  readonly #onChange = () => this.refresh();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #unsubscribe: (() => void) | null = null;
  #renderFn: WidgetRender | null = null;
  /** Bumped per render, so a slow older render never overwrites a newer one. */
  #generation = 0;
  readonly #heading: HTMLHeadingElement;
  readonly #list: HTMLUListElement;
  /** Light-DOM container for the shop's own markup (template or render callback). */
  readonly #custom: HTMLDivElement;

  static get observedAttributes() {
    return OBSERVED_ATTRIBUTES;
  }

  constructor() {
    super();
    ({ heading: this.#heading, list: this.#list } = shadowParts(this.attachShadow({ mode: 'open' })));
    this.#custom = document.createElement('div');
    this.#custom.dataset.localrecItems = '';
    // The page may have set `render` before this lazily loaded class upgraded the element:
    // that own property would hide the accessor, so move it behind the accessor.
    const early = Object.getOwnPropertyDescriptor(this, 'render');
    if (early) {
      delete (this as { render?: unknown }).render;
      this.#renderFn = typeof early.value === 'function' ? (early.value as WidgetRender) : null;
    }
  }

  get render(): WidgetRender | null {
    return this.#renderFn;
  }
  set render(fn: WidgetRender | null) {
    this.#renderFn = typeof fn === 'function' ? fn : null;
    this.refresh();
  }

  connectedCallback() {
    document.addEventListener(CHANGE_EVENT, this.#onChange);
    void host!.getClient().then((c) => {
      if (!c || !this.isConnected || this.#unsubscribe) return;
      this.#unsubscribe = c.subscribe((e) => {
        if (e.type === 'personalised' || e.type === 'consent' || e.type === 'ready') this.refresh();
      });
    });
    this.refresh();
  }

  disconnectedCallback() {
    document.removeEventListener(CHANGE_EVENT, this.#onChange);
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }

  attributeChangedCallback() {
    if (this.isConnected) this.refresh();
  }

  refresh() {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#draw(), 50);
  }

  async #draw() {
    const generation = ++this.#generation;
    try {
      const client = await host!.getClient();
      if (!client) return;
      // One Worker request per draw: the list and each item's reasons from the same scoring pass.
      const rec = await client.recommend(optionsFromAttributes(this));
      if (generation !== this.#generation) return;
      const currency = this.getAttribute('currency');
      const items = rec.items.map(({ explanation, ...r }): WidgetItem => ({ ...r, why: explanation?.text ?? '', priceText: priceText(r.price, currency) }));
      this.#show(rec, items);
    } catch (e) {
      host!.log.warn('could not render recommendations:', e);
    }
  }

  #show(rec: RecommendResult, items: WidgetItem[]) {
    this.#heading.textContent = this.getAttribute('heading') ?? HEADINGS[rec.mode];
    const select = (item: WidgetItem, ev: Event) => {
      const go = this.dispatchEvent(new CustomEvent('localrec-select', { detail: { id: item.id, url: safeUrl(item.url) }, bubbles: true, composed: true, cancelable: true }));
      if (!go) ev.preventDefault();
    };
    const custom = customItems(this, this.#renderFn, items, select);
    if (custom) {
      this.#custom.replaceChildren(...custom);
      if (this.#custom.parentNode !== this) this.append(this.#custom);
      this.#list.replaceChildren();
    } else {
      this.#custom.remove();
      this.#list.replaceChildren(...items.map((item) => defaultItem(item, select)));
    }
    this.#list.hidden = custom !== null;
    this.dataset.mode = rec.mode;
    this.dataset.personalised = String(rec.personalised);
    this.dataset.count = String(items.length);
    this.dispatchEvent(new CustomEvent('localrec-rendered', { detail: { items: items.map((r) => r.id), mode: rec.mode }, bubbles: true }));
  }
}

/**
 * Registers <localrec-recommendations> (once; later calls do nothing). `getClient` gives the
 * client the elements render from (null: they stay empty); `log` receives render failures,
 * which never reach the page (default: console.warn with a `[localrec]` prefix).
 */
export function defineRecommendationsElement(getClient: () => Promise<Localrec | null>, log: Logger = createLogger('[localrec]')): void {
  if (typeof customElements === 'undefined' || customElements.get('localrec-recommendations')) return;
  host = { getClient, log };
  customElements.define('localrec-recommendations', RecommendationsWidget);
}
