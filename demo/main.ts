/**
 * The demo shop: home, category and product pages, a cart and checkout, all reporting
 * interactions through the embed's queue as a shop would, with "Recommended for you"
 * and "Related to this product" rows, a privacy panel and a developer panel.
 *
 * Query parameters: ?catalogue=movielens switches to the MovieLens-small model (if built);
 * ?model=<manifest URL> loads any other model (the e2e tests use fixture models);
 * &backend=wasm forces a tfjs backend; &fed=<server URL>&fedToken=<client token> turns on
 * federated rounds; &consent=granted|pending|denied (or 1|0) sets the starting consent;
 * &sdk=off leaves the SDK out (the shop without it: the page-health benchmark's baseline,
 * bench/first-visit.ts), its rows keeping their placeholders.
 */
// From the types module, not the package entry: the page should load the client only through the embed, as a shop does.
import { CONSENT_STATES, type ConsentState } from '../src/browser/types';
import type { EmbedApi, EmbedCommand } from '../src/embed/queue';
import { Cart } from './cart';
import { CATALOGUES, Catalogue, chooseCatalogue, modelExists, titleCase, type CatalogueChoice } from './catalogue';
import type { ShopContext } from './context';
import { devPanel } from './dev-panel';
import { byId, h } from './dom';
import { cartPage, thanksPage } from './pages/cart';
import { categoryPage } from './pages/category';
import { homePage } from './pages/home';
import { productPage } from './pages/product';
import { privacyPanel, startingConsent } from './privacy-panel';
import { Recommender } from './recommender';
import { parseRoute } from './router';
import { refreshStrips } from './strip';

const started = performance.now();
const params = new URLSearchParams(location.search);
const choice = chooseCatalogue(params);

/** &consent=granted|pending|denied (1 and 0 as granted and denied); default: granted unless the shopper paused. */
function demoConsent(v: string | null): ConsentState {
  if (v === '1') return 'granted';
  if (v === '0') return 'denied';
  return v && (CONSENT_STATES as readonly string[]).includes(v) ? (v as ConsentState) : startingConsent();
}

/** The embed's command queue until it loads, then its live API: both take push(). */
const push = (...commands: EmbedCommand[]) => void (window.localrec ??= []).push(...commands);

/**
 * Queues 'init' for the embed script, which the page loads after this module (a shop's
 * snippet does the same). Runs before the first await: the embed drains the queue as it
 * loads. A missing MovieLens model makes the embed log that it could not start; the page
 * then explains how to build the model.
 */
function queueInit(c: CatalogueChoice): void {
  const backend = params.get('backend');
  const fed = params.get('fed');
  const fedToken = params.get('fedToken');
  // The demo has no consent platform, so it grants consent itself unless the shopper paused
  // personalisation or &consent= says otherwise; a real shop leaves the default ('pending')
  // and lets its CMP or its own dialog decide (docs/usage.md, Consent).
  push([
    'init',
    {
      model: c.model,
      dbName: c.dbName,
      consent: demoConsent(params.get('consent')),
      ...(backend ? { backend: backend as 'wasm' } : {}),
      personaliseDebounceMs: 1500,
      ...(fed && fedToken ? { federated: { endpoint: fed, token: fedToken } } : {}),
    },
  ]);
}

/** The client once the embed has loaded the model, or null if it could not start. */
async function recommender(): Promise<Recommender | null> {
  if (Array.isArray(window.localrec)) await new Promise((r) => document.addEventListener('localrec:loaded', r, { once: true }));
  const client = await (window.localrec as EmbedApi).ready;
  if (!client) return null;
  const rec = new Recommender(client);
  rec.timings.readyMs = performance.now() - started;
  return rec;
}

function setUpCatalogueSwitch(): void {
  const select = byId<HTMLSelectElement>('catalogue');
  for (const c of Object.values(CATALOGUES)) select.append(new Option(c.label, c.name, false, c.name === choice.name));
  select.disabled = params.has('model');
  select.addEventListener('change', () => {
    const next = new URLSearchParams(params);
    next.delete('model');
    if (select.value === 'shop') next.delete('catalogue');
    else next.set('catalogue', select.value);
    location.assign(`${location.pathname}${next.size ? `?${next}` : ''}`);
  });
  if (choice.name === 'movielens') {
    byId('licence').replaceChildren(
      'Film data: MovieLens latest-small by GroupLens Research, University of Minnesota — research and non-commercial use only, redistributed under the same terms (data/movielens-latest-small/README.txt). No endorsement by the University of Minnesota or GroupLens is implied.',
    );
  }
}

function missingModelPage(): HTMLElement {
  return h(
    'div',
    { class: 'page page-missing' },
    h('h1', {}, 'The MovieLens model is not built yet'),
    h('p', {}, 'The films catalogue needs a model trained on MovieLens latest-small, which this repository does not ship. Build it once (a few minutes on two cores), then reload this page:'),
    h('pre', {}, 'npm run train -- --data movielens --name movielens'),
    h('p', {}, 'It writes public/models/movielens/, which this page loads from /models/movielens/manifest.json.'),
    h('p', { class: 'fineprint' }, 'MovieLens data may be used for research and non-commercial purposes only (see data/movielens-latest-small/README.txt).'),
    h('p', {}, h('a', { href: location.pathname }, 'Back to the shop catalogue')),
  );
}

/** Mounts a panel in its dialog; the returned refresh runs while the dialog is open, or always when `always`. */
function setUpPanel(dialogId: string, openId: string, panel: { el: HTMLElement; refresh: () => Promise<void> }, always = false): () => void {
  const dialog = byId<HTMLDialogElement>(dialogId);
  dialog.querySelector('.slot')!.replaceWith(panel.el);
  dialog.querySelector('.close')!.addEventListener('click', () => dialog.close());
  byId(openId).addEventListener('click', () => {
    void panel.refresh();
    dialog.showModal();
  });
  if (always) void panel.refresh();
  return () => void ((always || dialog.open) && panel.refresh());
}

async function main() {
  setUpCatalogueSwitch();
  const view = byId('view');
  if (choice.name === 'movielens' && !params.has('model') && !(await modelExists(choice.model))) {
    view.replaceChildren(missingModelPage());
    for (const id of ['open-privacy', 'open-dev', 'cart-link']) byId(id).hidden = true;
    return;
  }
  const ready = recommender();
  let catalogue: Catalogue;
  try {
    catalogue = await Catalogue.load(choice.model);
  } catch (e) {
    view.textContent = `Could not load the catalogue: ${(e as Error).message}`;
    return;
  }
  const cart = new Cart();
  const ctx: ShopContext = { catalogue, choice, cart, ready, track: (item, type) => push(['track', { item, type }]) };

  byId('categories').replaceChildren(...catalogue.categories.map((c) => h('a', { href: `#/c/${encodeURIComponent(c)}`, 'data-category': c }, titleCase(c))));
  const showCount = () => (byId('cart-count').textContent = String(cart.count));
  cart.onChange(showCount);
  showCount();
  if (!choice.sells) byId('cart-link').firstChild!.textContent = 'Watchlist ';

  const render = () => {
    const route = parseRoute(location.hash);
    const page =
      route.page === 'category' ? categoryPage(ctx, route.category)
      : route.page === 'product' ? productPage(ctx, route.id)
      : route.page === 'cart' ? cartPage(ctx)
      : route.page === 'thanks' ? thanksPage(ctx)
      : homePage(ctx);
    view.replaceChildren(page);
    document.querySelectorAll('#categories a').forEach((a) => a.classList.toggle('active', route.page === 'category' && (a as HTMLElement).dataset.category === route.category));
    window.scrollTo(0, 0);
  };
  window.addEventListener('hashchange', render);
  render();

  const rec = await ready;
  if (!rec) {
    for (const id of ['open-privacy', 'open-dev']) byId(id).hidden = true;
    return;
  }
  const refreshPrivacy = setUpPanel('privacy-dialog', 'open-privacy', privacyPanel(rec, {
    catalogue,
    setConsent: (state) => push(['setConsent', state]),
    forget: () => push(['forget']),
  }));
  // The developer panel's status line stays current even while closed (tests and curious eyes read it).
  const refreshDev = setUpPanel('dev-dialog', 'open-dev', devPanel(rec, () => push(['personalise'])), true);

  // What is recommended changes after every stored event (the history is pooled at once)
  // and again once the Worker has personalised; coalesce the bursts.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      refreshStrips();
      refreshPrivacy();
      refreshDev();
    }, 150);
  };
  document.addEventListener('localrec:change', changed);
  rec.client.subscribe((e) => (e.type === 'personalised' || e.type === 'consent' || e.type === 'federated' || e.type === 'backend') && changed());
  document.body.dataset.ready = 'true';
}

queueInit(choice);
// The embed script, loaded as a shop's <script type="module"> tag loads it (after the queue
// holds 'init'); a module here, so that &sdk=off can leave it out.
if (params.get('sdk') !== 'off') void import('../src/embed/embed');
void main();
