/**
 * The shopper's consent to personalisation, as one state: 'granted' | 'pending' | 'denied'.
 *
 * Sources, by default all read (`consentSignals: false` turns them off):
 * - Global Privacy Control (`navigator.globalPrivacyControl === true`): denied, and no CMP
 *   signal can lift it; only the site's own `setConsent('granted')`, after the shopper
 *   agreed in the site's UI, can.
 * - IAB TCF v2.2 (`__tcfapi('addEventListener', 2, …)`): granted when purposes 1 (store
 *   and/or access information on a device), 5 (create profiles to personalise content) and
 *   6 (use profiles to select personalised content) all have consent — what localrec does is
 *   content personalisation, not advertising, so purposes 3/4 (ads) are not asked for;
 *   denied when any of them is refused; pending while the CMP's dialog is open; granted when
 *   the CMP says GDPR does not apply.
 * - Google Consent Mode (`gtag('consent', 'default' | 'update', { personalization_storage })`
 *   in `window.dataLayer`): granted or denied as it says.
 *
 * The most recent of the site's `setConsent` and the CMP signals wins; before any signal
 * the state is the `consent` option, default 'pending'.
 */
import { gtagArgs, watchDataLayer, type DataLayerHost } from './main-datalayer';
import { CONSENT_STATES, type ConsentState } from './types';

export function isConsentState(x: unknown): x is ConsentState {
  return typeof x === 'string' && (CONSENT_STATES as readonly string[]).includes(x);
}

/** The parts of a TCF v2.2 TCData this reads. */
export interface TcData {
  gdprApplies?: boolean;
  eventStatus?: 'tcloaded' | 'cmpuishown' | 'useractioncomplete' | string;
  listenerId?: number;
  purpose?: { consents?: Record<string | number, boolean | undefined> };
}
export type TcfApi = (command: string, version: number, callback: (data: TcData, success: boolean) => void, parameter?: unknown) => void;

export interface ConsentHost extends DataLayerHost {
  navigator?: { globalPrivacyControl?: boolean };
  __tcfapi?: unknown;
}

/** TCF purposes localrec needs: device storage, and building and using a content profile. */
export const TCF_PURPOSES = [1, 5, 6] as const;

export function tcfState(data: TcData): ConsentState | null {
  if (data.gdprApplies === false) return 'granted';
  if (data.eventStatus === 'cmpuishown') return 'pending';
  if (data.eventStatus !== 'tcloaded' && data.eventStatus !== 'useractioncomplete') return null;
  const consents = data.purpose?.consents ?? {};
  return TCF_PURPOSES.every((p) => consents[p] === true) ? 'granted' : 'denied';
}

/** `personalization_storage` of a `gtag('consent', 'default' | 'update', {…})` entry. */
export function consentModeState(entry: unknown): ConsentState | null {
  const args = gtagArgs(entry);
  if (!args || args[0] !== 'consent' || (args[1] !== 'default' && args[1] !== 'update')) return null;
  const value = (args[2] as { personalization_storage?: unknown } | null | undefined)?.personalization_storage;
  return value === 'granted' || value === 'denied' ? value : null;
}

export class ConsentTracker {
  #latest: { state: ConsentState; fromSite: boolean } | null = null;
  readonly #gpc: boolean;
  readonly #stops: (() => void)[] = [];
  readonly #initial: ConsentState;
  readonly #onChange: (state: ConsentState) => void;

  constructor(host: ConsentHost, initial: ConsentState, readSignals: boolean, onChange: (state: ConsentState) => void) {
    this.#initial = initial;
    this.#onChange = onChange;
    this.#gpc = readSignals && host.navigator?.globalPrivacyControl === true;
    if (!readSignals) return;
    const tcf = host.__tcfapi;
    if (typeof tcf === 'function') {
      let listenerId: number | undefined;
      const api = tcf as TcfApi;
      try {
        api('addEventListener', 2, (data, success) => {
          if (!success || !data) return;
          listenerId ??= data.listenerId;
          this.#fromCmp(tcfState(data));
        });
        this.#stops.push(() => listenerId !== undefined && api('removeEventListener', 2, () => undefined, listenerId));
      } catch {
        // A broken CMP stub leaves the state to the other sources.
      }
    }
    this.#stops.push(watchDataLayer(host, (entry) => this.#fromCmp(consentModeState(entry))));
  }

  get state(): ConsentState {
    if (this.#latest?.fromSite) return this.#latest.state;
    if (this.#gpc) return 'denied';
    return this.#latest?.state ?? this.#initial;
  }

  /** The site's own decision (its consent dialog), which wins until a CMP reports again. */
  set(state: ConsentState): void {
    this.#update({ state, fromSite: true });
  }

  stop(): void {
    for (const s of this.#stops.splice(0)) s();
  }

  #fromCmp(state: ConsentState | null): void {
    if (state) this.#update({ state, fromSite: false });
  }

  #update(next: { state: ConsentState; fromSite: boolean }): void {
    const before = this.state;
    this.#latest = next;
    if (this.state !== before) this.#onChange(this.state);
  }
}
