/**
 * <localrec-recommendations n="4" category="shoes" heading="Recommended for you">:
 * renders the shopper's recommendations with the "because you …" line, refreshing when
 * the shopper's history changes. Dispatches `localrec-select` ({ detail: { id } }) when
 * an item is clicked, for the shop to navigate. Never throws into the page.
 */
import type { Localrec } from '../browser/main-client';
import type { Logger } from './queue';

export const CHANGE_EVENT = 'localrec:change';
export const LOADED_EVENT = 'localrec:loaded';

type Recommendations = Awaited<ReturnType<Localrec['recommend']>>;
type Recommended = Recommendations['items'][number];

/** The recommendations the element's attributes ask for, each with its "because you …" line (null if none). */
async function recommendationsFor(client: Localrec, el: HTMLElement): Promise<{ rec: Recommendations; whys: (string | null)[] }> {
  const n = Number(el.getAttribute('n') ?? 4) || 4;
  const category = el.getAttribute('category');
  const rec = await client.recommend({ n, ...(category ? { categories: [category] } : {}) });
  const explained = await Promise.all(rec.items.map((r) => client.explain(r.id, { n: 2 }).catch(() => null)));
  return { rec, whys: explained.map((x) => x?.text ?? null) };
}

function itemRow(r: Recommended, why: string | null, select: (id: string) => void): HTMLLIElement {
  const li = document.createElement('li');
  li.dataset.item = r.id;
  const title = document.createElement('button');
  title.type = 'button';
  title.className = 'localrec-title';
  title.textContent = r.title;
  title.addEventListener('click', () => select(r.id));
  li.append(title);
  if (why) {
    const small = document.createElement('small');
    small.className = 'localrec-why';
    small.textContent = why;
    li.append(small);
  }
  return li;
}

function renderInto(el: HTMLElement, rec: Recommendations, whys: (string | null)[]): void {
  const heading = document.createElement('h2');
  heading.textContent = el.getAttribute('heading') ?? 'Recommended for you';
  const list = document.createElement('ul');
  const select = (id: string) => el.dispatchEvent(new CustomEvent('localrec-select', { detail: { id }, bubbles: true }));
  rec.items.forEach((r, i) => list.append(itemRow(r, whys[i], select)));
  el.replaceChildren(heading, list);
  el.dataset.personalised = String(rec.personalised);
}

export function defineRecommendationsElement(getClient: () => Promise<Localrec | null>, log: Logger): void {
  if (typeof customElements === 'undefined' || customElements.get('localrec-recommendations')) return;

  class RecommendationsElement extends HTMLElement {
    private readonly onChange = () => this.scheduleRender();
    private timer: ReturnType<typeof setTimeout> | null = null;
    private unsubscribe: (() => void) | null = null;

    static get observedAttributes() {
      return ['n', 'category'];
    }

    connectedCallback() {
      document.addEventListener(CHANGE_EVENT, this.onChange);
      void getClient().then((c) => {
        if (c && this.isConnected) this.unsubscribe = c.subscribe((e) => (e.type === 'personalised' || e.type === 'consent') && this.scheduleRender());
      });
      this.scheduleRender();
    }

    disconnectedCallback() {
      document.removeEventListener(CHANGE_EVENT, this.onChange);
      this.unsubscribe?.();
    }

    attributeChangedCallback() {
      if (this.isConnected) this.scheduleRender();
    }

    private scheduleRender() {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.render(), 50);
    }

    private async render() {
      try {
        const client = await getClient();
        if (!client) return;
        const { rec, whys } = await recommendationsFor(client, this);
        renderInto(this, rec, whys);
        this.dispatchEvent(new CustomEvent('localrec-rendered', { detail: { items: rec.items.map((r) => r.id) } }));
      } catch (e) {
        log.warn('could not render recommendations:', e);
      }
    }
  }
  customElements.define('localrec-recommendations', RecommendationsElement);
}
