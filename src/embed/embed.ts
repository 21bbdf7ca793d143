/**
 * The script-tag entry. Paste:
 *
 *   <script>window.localrec = window.localrec || []; localrec.push(['init', { model: '/models/shop/manifest.json' }]);</script>
 *   <script type="module" src="https://…/localrec-embed.js" data-localrec-model="/models/shop/manifest.json" async></script>
 *
 * then `localrec.push(['track', { item, type: 'view' }])` anywhere, and
 * `<localrec-recommendations n="4"></localrec-recommendations>` where the widget goes.
 * This file stays tiny: the client (and through it the Worker with tfjs) loads lazily.
 */
import type { BackendName } from '../browser/types';
import { CHANGE_EVENT, LOADED_EVENT, defineRecommendationsElement } from './element';
import { createLogger, installEmbed, type EmbedInitOptions } from './queue';

const log = createLogger('[localrec]');

function scriptDefaults(): Partial<EmbedInitOptions> {
  const el = document.querySelector<HTMLScriptElement>('script[data-localrec-model]');
  if (!el) return {};
  const d = el.dataset;
  const out: Partial<EmbedInitOptions> = { model: d.localrecModel };
  if (d.localrecBackend) out.backend = d.localrecBackend as BackendName | 'auto';
  if (d.localrecWasm) out.wasmPath = d.localrecWasm;
  return out;
}

try {
  const api = installEmbed(window, async (options) => (await import('../browser/main-client')).createLocalrec(options), {
    defaults: scriptDefaults(),
    log,
    onChange: () => document.dispatchEvent(new CustomEvent(CHANGE_EVENT)),
  });
  defineRecommendationsElement(() => api.ready, log);
  // Pages whose own scripts ran first can wait for this instead of polling.
  document.dispatchEvent(new CustomEvent(LOADED_EVENT));
} catch (e) {
  log.warn('failed to start:', e);
}
