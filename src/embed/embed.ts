/**
 * The script-tag entry. Paste:
 *
 *   <script>window.localrec = window.localrec || []; localrec.push(['init', { model: '/models/shop/manifest.json' }]);</script>
 *   <script type="module" src="https://cdn.example/localrec/localrec-embed.js" data-localrec-model="models/shop/manifest.json" async></script>
 *
 * (or the classic build, localrec-embed.iife.js, without type="module")
 *
 * then `localrec.push(['track', { item, type: 'view' }])` anywhere, and
 * `<localrec-recommendations n="4"></localrec-recommendations>` where the widget goes.
 * This file stays tiny: the client (and through it the Worker with tfjs) and the widget load lazily.
 */
import type { DataLayerHost } from '../browser/main-datalayer';
import type { BackendName } from '../browser/types';
import { CHANGE_EVENT, LOADED_EVENT } from './events';
import { loadWidget } from './load-widget';
import { isConsentState } from '../browser/main-consent';
import { trackDataLayer } from './datalayer';
import { loadClient } from './load-client';
import { createLogger, installEmbed, type EmbedInitOptions } from './queue';

const log = createLogger('[localrec]');

/**
 * Options from the script tag's data attributes. URLs there resolve against the script's
 * own URL, not the page's: a CDN folder that holds the loader can hold the model too.
 */
function scriptDefaults(): Partial<EmbedInitOptions> {
  const el = document.querySelector<HTMLScriptElement>('script[data-localrec-model],script[data-localrec-consent],script[data-localrec-datalayer]');
  if (!el) return {};
  const d = el.dataset;
  const base = el.src || location.href;
  const out: Partial<EmbedInitOptions> = {};
  if (d.localrecModel) out.model = new URL(d.localrecModel, base).href;
  if (d.localrecBackend) out.backend = d.localrecBackend as BackendName | 'auto';
  if (d.localrecWasm) out.wasmPath = new URL(d.localrecWasm, base).href;
  if (isConsentState(d.localrecConsent)) out.consent = d.localrecConsent;
  if (d.localrecDatalayer !== undefined && d.localrecDatalayer !== 'false') out.dataLayer = true;
  return out;
}

function start(): void {
  try {
    const api = installEmbed(window, async (options) => (await loadClient()).createLocalrec(options), {
      defaults: scriptDefaults(),
      log,
      onChange: () => document.dispatchEvent(new CustomEvent(CHANGE_EVENT)),
      trackDataLayer: (track) => trackDataLayer(window as Window & DataLayerHost, track),
    });
    // The widget's code loads only once there is a client to show recommendations from.
    void api.ready
      .then((client) => client && loadWidget().then((w) => w.defineRecommendationsElement(() => api.ready, log)))
      .catch((e: unknown) => log.warn('could not load the widget:', e));
    // Pages whose own scripts ran first can wait for this instead of polling.
    document.dispatchEvent(new CustomEvent(LOADED_EVENT));
  } catch (e) {
    log.warn('failed to start:', e);
  }
}

// Nothing says which model yet while the page is still loading: a script after this one may
// still queue its 'init' (bundlers can order a page's module scripts either way), so wait for
// the parse to end (or, if that already passed, the load) instead of giving up at once.
let started = false;
const startOnce = () => {
  if (!started) (started = true), start();
};
const queued = Array.isArray(window.localrec) && window.localrec.some((c) => Array.isArray(c) && c[0] === 'init');
if (!queued && !scriptDefaults().model && document.readyState !== 'complete') {
  document.addEventListener('DOMContentLoaded', startOnce, { once: true });
  window.addEventListener('load', startOnce, { once: true });
} else startOnce();
