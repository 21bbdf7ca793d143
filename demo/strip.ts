/**
 * A row of recommendations ("Recommended for you", "Related to this product"): picture,
 * title, price and a "why?" per item. Items that were not in the row the last time it
 * was shown are marked, so a shopper sees the row move as they browse. Live rows refresh
 * when the recommender personalises or forgets.
 */
import type { ItemMeta, Recommendation } from '../src/index';
import { formatPrice } from './catalogue';
import type { ShopContext } from './context';
import { h } from './dom';
import { productLink } from './product-card';
import { productImage } from './product-image';
import type { Recommender, RecList } from './recommender';

export interface StripOptions {
  /** Names the row for "what changed since it was last shown" and for tests (`data-strip`). */
  key: string;
  heading: string;
  load: (rec: Recommender) => Promise<RecList>;
  /** The product page's item, for context-mode explanations. */
  context?: string;
  /** Line under the heading, from what the list is based on. */
  note: (list: RecList) => string;
  /** Cards the row shows: as many placeholders hold its space until they arrive. */
  slots: number;
}

/** What each row showed last, so a refresh can mark what is new. */
const lastShown = new Map<string, string[]>();
const live = new Set<{ el: HTMLElement; refresh: () => Promise<void> }>();

/** Re-renders every row still on the page (after personalising, forgetting or a consent change). */
export function refreshStrips(): void {
  for (const s of live) {
    if (s.el.isConnected) void s.refresh();
    else live.delete(s);
  }
}

function whyButton(ctx: ShopContext, rec: Recommender, item: Recommendation, context: string | undefined): HTMLElement[] {
  const text = h('p', { class: 'why', hidden: true, 'aria-live': 'polite' });
  const button = h('button', {
    type: 'button',
    class: 'why-btn',
    'aria-expanded': 'false',
    title: 'Why is this recommended?',
    onclick: async () => {
      const open = button.getAttribute('aria-expanded') !== 'true';
      button.setAttribute('aria-expanded', String(open));
      text.hidden = !open;
      if (!open || text.dataset.loaded) return;
      text.textContent = '…';
      try {
        const ex = await rec.explain(item.id, context);
        text.dataset.loaded = 'true';
        text.textContent = ex.text || fallbackReason(ctx, item, context);
      } catch (e) {
        text.textContent = `No explanation: ${(e as Error).message}`;
      }
    },
  }, 'why?');
  return [button, text];
}

/** When no stored event drives the score, say what does. */
function fallbackReason(ctx: ShopContext, item: Recommendation, context: string | undefined): string {
  const base = context ? ctx.catalogue.byId.get(context) : undefined;
  if (base) return `Shoppers who looked at ${base.title} also looked at this.`;
  return `Popular with shoppers in ${item.categories[0] ?? 'this shop'}; nothing you did on this device moved it here.`;
}

function recCard(ctx: ShopContext, rec: Recommender, r: Recommendation, isNew: boolean, context: string | undefined): HTMLElement {
  const meta: ItemMeta = ctx.catalogue.byId.get(r.id) ?? { id: r.id, title: r.title, categories: r.categories };
  return h(
    'li',
    { class: 'rec-card', 'data-item': r.id, 'data-category': meta.categories[0] ?? '', 'data-new': isNew ? 'true' : undefined },
    h(
      'a',
      { href: productLink(r.id), class: 'rec-link' },
      h('img', { src: productImage(meta, ctx.choice.imageStyle), alt: '', width: 160, height: 160 }),
      // New to this row since it was last shown, not a new product: the badge says so.
      isNew ? h('span', { class: 'badge', title: 'Not in this row last time it was shown' }, 'new here') : null,
      h('span', { class: 'rec-title' }, meta.title),
    ),
    h('span', { class: 'rec-meta' }, ctx.choice.sells ? formatPrice(meta.price) : meta.categories.slice(0, 2).join(' · ')),
    ...whyButton(ctx, rec, r, context),
  );
}

/**
 * A picture's outline (frame, sun, hills) in the placeholder's colours, as an image: it is
 * painted with the page, so the row's pictures arriving later are not the page's largest
 * new paint (LCP) — they replace an image of their own size. Drawn with enough detail
 * that Chromium counts it as content (it skips near-empty images for LCP).
 */
const SKELETON = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 160"><rect width="160" height="160" rx="10" fill="#e3ebe6"/>' +
    '<rect x="30" y="36" width="100" height="76" rx="6" fill="none" stroke="#c9d8cf" stroke-width="5"/><circle cx="58" cy="60" r="9" fill="#c9d8cf"/>' +
    '<path d="M36 106 66 76l18 18 12-12 28 24z" fill="#c9d8cf"/><rect x="30" y="124" width="72" height="7" rx="3.5" fill="#d3e0d8"/>' +
    '<rect x="30" y="136" width="48" height="6" rx="3" fill="#d9e4dd"/></svg>',
)}`;

/**
 * A card's shape without content. The row is at the top of the page and its cards arrive
 * after the model: empty, it would grow by a card's height and push the page down (layout
 * shift, a Core Web Vital), so placeholders of the same size hold the space.
 */
function placeholderCard(): HTMLElement {
  return h(
    'li',
    { class: 'rec-placeholder', 'aria-hidden': 'true' },
    h('span', { class: 'rec-link' }, h('img', { src: SKELETON, alt: '', width: 160, height: 160 }), h('span', { class: 'rec-title' }, '\u00a0')),
    h('span', { class: 'rec-meta' }, '\u00a0'),
    h('span', { class: 'why-btn' }, '\u00a0'),
  );
}

export function recommendationStrip(ctx: ShopContext, o: StripOptions): HTMLElement {
  const note = h('p', { class: 'strip-note' }, 'Loading recommendations…');
  const list = h('ol', { class: 'strip-items' }, ...Array.from({ length: o.slots }, placeholderCard));
  const el = h('section', { class: 'strip', 'data-strip': o.key, 'aria-busy': 'true' }, h('h2', {}, o.heading), note, list);

  let renders = 0;
  const refresh = async () => {
    el.setAttribute('aria-busy', 'true');
    const rec = await ctx.ready;
    if (!rec) {
      note.textContent = 'The recommender could not start on this device; the rest of the shop works as usual.';
      list.replaceChildren();
      el.setAttribute('aria-busy', 'false');
      return;
    }
    try {
      const got = await o.load(rec);
      const before = lastShown.get(o.key);
      const ids = got.items.map((i) => i.id);
      // The same list again keeps its cards (and any open "why?"): only a changed list moves.
      const shown = [...list.children].map((li) => (li as HTMLElement).dataset.item);
      if (shown.join() !== ids.join()) {
        list.replaceChildren(...got.items.map((r) => recCard(ctx, rec, r, before !== undefined && !before.includes(r.id), o.context)));
        lastShown.set(o.key, ids);
      } else {
        // Kept cards: a closed "why?" asks again next time (the history behind it may have grown).
        for (const why of list.querySelectorAll<HTMLElement>('.why[hidden]')) delete why.dataset.loaded;
      }
      note.textContent = o.note(got);
      el.dataset.personalised = String(got.personalised);
      el.dataset.renders = String(++renders);
    } catch (e) {
      note.textContent = `Could not recommend: ${(e as Error).message}`;
    }
    el.setAttribute('aria-busy', 'false');
  };
  live.add({ el, refresh });
  void refresh();
  return el;
}
