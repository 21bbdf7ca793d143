/**
 * The demo shop: a catalogue grid from the model's items.json, clicks reported through
 * the embed's queue, and the shopper's controls (personalise, forget, export). Query
 * parameters pick another model or force a backend: ?model=/test-models/small/manifest.json&backend=wasm
 * Federated rounds: &fed=<server URL>&fedToken=<client token>; &consent=granted|pending|denied
 * (or 1|0) sets the starting consent (default granted); uploads happen only while granted.
 */
import { CONSENT_STATES, type ConsentState, type ItemMeta, type Localrec, type Status } from '../src/index';
import type { EmbedApi, EmbedCommand } from '../src/embed/queue';

const params = new URLSearchParams(location.search);
const model = params.get('model') ?? '/models/shop/manifest.json';
const backend = params.get('backend');
const fed = params.get('fed');
const fedToken = params.get('fedToken');

/** &consent=granted|pending|denied (1 and 0 as granted and denied); default granted. */
function demoConsent(v: string | null): ConsentState {
  if (v === '1' || v === null) return 'granted';
  if (v === '0') return 'denied';
  return (CONSENT_STATES as readonly string[]).includes(v) ? (v as ConsentState) : 'granted';
}

/** The embed's command queue until it loads, then its live API: both take push(). */
const push = (...commands: EmbedCommand[]) => void (window.localrec ??= []).push(...commands);

// The demo has no consent platform, so it grants consent itself unless &consent= says
// otherwise; a real shop leaves the default ('pending') and lets its CMP or its own dialog
// decide (docs/browser.md, Consent).
push([
  'init',
  {
    model,
    consent: demoConsent(params.get('consent')),
    ...(backend ? { backend: backend as 'wasm' } : {}),
    personaliseDebounceMs: 1500,
    ...(fed && fedToken ? { federated: { endpoint: fed, token: fedToken } } : {}),
  },
]);

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const PAGE = 60;

function track(item: string, type: 'view' | 'cart' | 'purchase') {
  push(['track', { item, type }]);
}

function card(it: ItemMeta): HTMLElement {
  const el = document.createElement('article');
  el.className = 'card';
  el.dataset.item = it.id;
  el.innerHTML = `<h3></h3><p class="meta"></p><div class="buttons"><button data-act="cart">Add to cart</button><button data-act="purchase">Buy</button></div>`;
  el.querySelector('h3')!.textContent = it.title;
  el.querySelector('.meta')!.textContent = [it.categories.join(', '), it.brand, it.price !== undefined ? `€${it.price.toFixed(2)}` : ''].filter(Boolean).join(' · ');
  el.addEventListener('click', (ev) => {
    const act = (ev.target as HTMLElement).dataset.act as 'cart' | 'purchase' | undefined;
    track(it.id, act ?? 'view');
    el.classList.add(act ? `did-${act}` : 'did-view');
  });
  return el;
}

async function showCatalogue() {
  const items: ItemMeta[] = await (await fetch(new URL('items.json', new URL(model, location.href)))).json();
  const categories = [...new Set(items.flatMap((i) => i.categories))].sort();
  const select = $<HTMLSelectElement>('category');
  for (const c of categories) select.append(new Option(c, c));
  const render = () => {
    const shown = items.filter((i) => !select.value || i.categories.includes(select.value)).slice(0, PAGE);
    $('grid').replaceChildren(...shown.map(card));
  };
  select.addEventListener('change', render);
  render();
}

function describe(s: Status): string {
  const probes = s.backend?.probes.filter((p) => p.ok).map((p) => `${p.name} ${p.ms?.toFixed(1)} ms`).join(', ');
  const m = s.model;
  return [
    `backend ${s.backend?.name}${s.backend?.forced ? ' (forced)' : ` (probes: ${probes})`}`,
    m ? `model ${m.name} v${m.version}, ${m.items} items, from ${m.source} in ${m.loadMs.toFixed(0)} ms${m.lastError ? ` — update rejected: ${m.lastError.code}` : ''}` : '',
    `storage ${s.storage?.mode}${s.storage?.reason ? ` (${s.storage.reason})` : ''}, ${s.storage?.events} events`,
    s.personal ? `personalised (${s.personal.steps} steps on ${s.personal.events} events${s.personal.ms !== null ? `, ${s.personal.ms.toFixed(0)} ms` : ''})` : 'not personalised yet',
    s.timings.lastRecommendMs !== null ? `last recommend ${s.timings.lastRecommendMs.toFixed(1)} ms` : '',
    s.federated ? `federated: ${s.federated.lastOutcome ?? 'nothing sent yet'}${s.federated.lastRound !== null ? ` (round ${s.federated.lastRound}, ${s.federated.lastUploadBytes} bytes)` : ''}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

async function main() {
  void showCatalogue().catch((e) => ($('grid').textContent = `Could not load the catalogue: ${e}`));
  // The embed script may run after this one; its live API replaces the queue array.
  if (Array.isArray(window.localrec)) await new Promise((r) => document.addEventListener('localrec:loaded', r, { once: true }));
  const api = window.localrec as EmbedApi;
  const client: Localrec | null = await api.ready;
  if (!client) {
    $('status').textContent = 'The recommender could not start (see the console).';
    return;
  }
  const refresh = async () => ($('status').textContent = describe(await client.status()));
  client.subscribe(() => void refresh());
  document.addEventListener('localrec:change', () => void refresh());
  await refresh();
  $('personalise').addEventListener('click', () => push(['personalise']));
  $('forget').addEventListener('click', () => {
    push(['forget']);
    document.querySelectorAll('.card').forEach((c) => c.classList.remove('did-view', 'did-cart', 'did-purchase'));
  });
  $('export').addEventListener('click', async () => {
    const data = await client.exportData();
    const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
    const a = Object.assign(document.createElement('a'), { href: url, download: 'localrec-my-data.json' });
    a.click();
    URL.revokeObjectURL(url);
  });
  document.body.dataset.ready = 'true';
}

void main();
