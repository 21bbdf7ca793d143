/**
 * The developer panel: which tfjs backend runs and why (the measured probes), the model,
 * where the time goes (load, recommend, personalise — the Worker's numbers and the page's
 * round trips), what is stored and how federated rounds stand.
 */
import type { Status } from '../src/index';
import { h } from './dom';
import type { Recommender } from './recommender';

const ms = (v: number | null | undefined, digits = 1) => (v === null || v === undefined ? '—' : `${v.toFixed(digits)} ms`);

/** One line for the top of the panel (and for tests): backend, model, storage, personalisation, federated rounds. */
export function summary(s: Status): string {
  const probes = s.backend?.probes.filter((p) => p.ok).map((p) => `${p.name} ${p.ms?.toFixed(1)} ms`).join(', ');
  const m = s.model;
  return [
    `backend ${s.backend?.name}${s.backend?.forced ? ' (forced)' : s.backend?.source === 'pending' ? ' (not measured yet)' : ` (${s.backend?.source}: ${probes})`}`,
    m ? `model ${m.name} v${m.version}, ${m.items} items, from ${m.source} in ${m.loadMs.toFixed(0)} ms${m.lastError ? ` — update rejected: ${m.lastError.code}` : ''}` : '',
    `storage ${s.storage?.mode}${s.storage?.reason ? ` (${s.storage.reason})` : ''}, ${s.storage?.events} events`,
    s.personal ? `personalised (${s.personal.steps} steps on ${s.personal.events} events${s.personal.ms !== null ? `, ${s.personal.ms.toFixed(0)} ms` : ''})` : 'not personalised yet',
    s.federated ? `federated: ${s.federated.lastOutcome ?? 'nothing sent yet'}${s.federated.lastRound !== null ? ` (round ${s.federated.lastRound}, ${s.federated.lastUploadBytes} bytes)` : ''}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

/** Why this backend: forced, or the fastest probe among those that worked (and why the others did not). */
export function backendReason(s: Status): string {
  const b = s.backend;
  if (!b) return 'not chosen yet';
  if (b.forced) return `${b.name}, forced by the page (?backend=)`;
  if (b.source === 'pending') return `${b.name} until measured (the backends are probed once the page is idle after its first recommendation)`;
  if (b.source === 'remembered') return `${b.name}: the fastest probe on an earlier visit with this model on this device (remembered)`;
  const failed = b.probes.filter((p) => !p.ok).map((p) => `${p.name}: ${p.reason ?? 'failed'}`);
  return `${b.name}: fastest probe of the backends that worked${failed.length ? `; not used — ${failed.join('; ')}` : ''}`;
}

function row(label: string, value: string, key: string): HTMLElement[] {
  return [h('dt', {}, label), h('dd', { 'data-key': key }, value)];
}

export function devPanel(rec: Recommender, personalise: () => void): { el: HTMLElement; refresh: () => Promise<void> } {
  const line = h('p', { id: 'status', class: 'status-line', 'aria-live': 'polite' });
  const list = h('dl', { class: 'facts' });
  const probes = h('table', { class: 'probes' });

  const refresh = async () => {
    const s = await rec.client.status();
    line.textContent = summary(s);
    const t = rec.timings;
    const f = s.federated;
    list.replaceChildren(
      ...row('Backend', backendReason(s), 'backend'),
      ...row('Backend set-up', ms(s.backend?.initMs), 'backend-init'),
      ...row('Model', s.model ? `${s.model.name} v${s.model.version}, ${s.model.items.toLocaleString('en')} items, from ${s.model.source}` : '—', 'model'),
      ...row('Model load (Worker)', ms(s.model?.loadMs, 0), 'load'),
      ...row('Ready after (page)', ms(t.readyMs, 0), 'ready'),
      ...row('Last recommend (Worker / page)', `${ms(s.timings.lastRecommendMs)} / ${ms(t.lastRecommendMs)}`, 'recommend'),
      ...row('Last related (page)', ms(t.lastRelatedMs), 'related'),
      ...row('Last personalise', s.personal ? `${ms(s.timings.lastPersonaliseMs, 0)} (${s.personal.steps} steps on ${s.personal.events} events)` : ms(s.timings.lastPersonaliseMs, 0), 'personalise'),
      ...row('Stored events', s.storage ? `${s.storage.events} of ${s.storage.maxEvents} (${s.storage.mode}${s.storage.reason ? `: ${s.storage.reason}` : ''})` : '—', 'events'),
      ...row('Sold-out items', s.storage ? `${s.storage.unavailable} (setAvailability; never recommended)` : '—', 'unavailable'),
      ...row('Consent', s.consent, 'consent'),
      ...row(
        'Federated',
        f
          ? `${f.state}; last outcome ${f.lastOutcome ?? 'none yet'}${f.lastRound !== null ? `, round ${f.lastRound}` : ''}${f.serverModelVersion !== null ? `, server model v${f.serverModelVersion}` : ''}; ${f.uploads} uploads, ${f.bytesSent} bytes sent${f.lastError ? `; last error ${f.lastError.code}` : ''}`
          : 'off: no server configured (add &fed=<server URL>&fedToken=<token> to the page URL)',
        'federated',
      ),
      ...row('Warnings', s.warnings.length ? s.warnings.map((w) => w.code).join(', ') : 'none', 'warnings'),
    );
    probes.replaceChildren(
      h('thead', {}, h('tr', {}, h('th', {}, 'probe'), h('th', {}, 'result'))),
      h('tbody', {}, ...(s.backend?.probes ?? []).map((p) => h('tr', { 'data-backend': p.name }, h('td', {}, p.name), h('td', {}, p.ok ? ms(p.ms, 2) : (p.reason ?? 'failed'))))),
    );
  };

  const el = h(
    'div',
    { class: 'panel-body' },
    line,
    h('div', { class: 'panel-actions' }, h('button', { type: 'button', id: 'personalise', onclick: personalise }, 'Personalise now')),
    list,
    h('h3', {}, 'Backend probes (median of timed runs)'),
    probes,
  );
  return { el, refresh };
}
