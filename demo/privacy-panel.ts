/**
 * "Your data": what the recommender stored in this browser, a download of it, a pause
 * switch (consent 'pending': nothing new is stored and the shared model recommends; what
 * was stored is kept) and "forget me" (everything stored is deleted).
 */
import type { ConsentState, ExportedData, StoredEvent } from '../src/index';
import type { Catalogue } from './catalogue';
import { h } from './dom';
import type { Recommender } from './recommender';

const PAUSE_KEY = 'localrec-demo-paused';
const SHOWN_EVENTS = 30;
const VERBS: Record<StoredEvent['type'], string> = { view: 'Viewed', cart: 'Added to cart', purchase: 'Bought', rating: 'Rated' };

/** The consent the demo starts with: granted (it has no consent banner) unless the shopper paused personalisation. */
export function startingConsent(storage: Storage = localStorage): ConsentState {
  return storage.getItem(PAUSE_KEY) === '1' ? 'pending' : 'granted';
}

export interface PrivacyPanelDeps {
  catalogue: Catalogue;
  setConsent(state: ConsentState): void;
  forget(): void;
}

export function privacyPanel(rec: Recommender, deps: PrivacyPanelDeps): { el: HTMLElement; refresh: () => Promise<void> } {
  const state = h('p', { class: 'consent-state' });
  const pause = h('button', { type: 'button', id: 'pause' });
  const count = h('p', { class: 'event-count' });
  const events = h('ol', { id: 'events', class: 'events' });
  const personal = h('p', { class: 'personal' });
  let paused = startingConsent() !== 'granted';

  const refresh = async () => {
    const [s, data] = await Promise.all([rec.client.status(), rec.client.exportData()]);
    paused = s.consent !== 'granted';
    state.textContent = paused
      ? 'Personalisation is paused: nothing new is stored and everyone sees the same recommendations. What was stored is kept until you forget it.'
      : 'Personalisation is on: what you view, add to the cart and buy is stored in this browser and used here only.';
    pause.textContent = paused ? 'Resume personalisation' : 'Pause personalisation';
    count.textContent = `${data.events.length} interaction${data.events.length === 1 ? '' : 's'} stored in this browser (${s.storage?.mode === 'indexeddb' ? 'IndexedDB' : 'memory only'}, at most ${s.storage?.maxEvents ?? '?'}).`;
    events.replaceChildren(...eventRows(data, deps.catalogue));
    const p = data.personalWeights;
    personal.textContent = p
      ? `Personal model: ${p.params.length.toLocaleString('en')} numbers, trained with ${p.steps} steps on ${p.events} interactions for model v${p.modelVersion}. They never leave this device.`
      : 'Personal model: none yet (the shared model recommends).';
  };

  pause.addEventListener('click', () => {
    paused = !paused;
    localStorage.setItem(PAUSE_KEY, paused ? '1' : '0');
    deps.setConsent(paused ? 'pending' : 'granted');
  });

  const download = async () => {
    const data = await rec.client.exportData();
    const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
    h('a', { href: url, download: 'localrec-my-data.json' }).click();
    URL.revokeObjectURL(url);
  };

  const el = h(
    'div',
    { class: 'panel-body' },
    h('p', {}, 'Recommendations in this shop are computed in your browser. No interaction, product id or user id is sent to the shop or anyone else; only the model files are downloaded.'),
    state,
    h('div', { class: 'panel-actions' }, pause, h('button', { type: 'button', id: 'export', onclick: () => void download() }, 'Download my data (JSON)'), h('button', { type: 'button', id: 'forget', class: 'danger', onclick: () => deps.forget() }, 'Forget me')),
    h('h3', {}, 'What is stored'),
    count,
    events,
    personal,
  );
  return { el, refresh };
}

function eventRows(data: ExportedData, catalogue: Catalogue): HTMLElement[] {
  // Newest first: what the shopper just did is what they look for.
  return data.events
    .slice(-SHOWN_EVENTS)
    .reverse()
    .map((e) =>
      h(
        'li',
        { 'data-item': e.item, 'data-type': e.type },
        h('span', { class: 'verb' }, VERBS[e.type]),
        ' ',
        catalogue.byId.get(e.item)?.title ?? e.item,
        h('time', { datetime: new Date(e.ts).toISOString(), title: new Date(e.ts).toLocaleString() }),
      ),
    );
}
