import { describe, expect, it } from 'vitest';
import { ConsentTracker, consentModeState, tcfState, type ConsentHost, type TcData, type TcfApi } from '../../../src/browser/main-consent';
import { watchDataLayer } from '../../../src/browser/main-datalayer';
import type { ConsentState } from '../../../src/browser/types';

/** A TCF v2.2 CMP stand-in: remembers listeners and lets the test fire TCData at them. */
function fakeTcf() {
  const listeners = new Map<number, (d: TcData, ok: boolean) => void>();
  let next = 7;
  const api: TcfApi = (command, version, callback, parameter) => {
    expect(version).toBe(2);
    if (command === 'addEventListener') listeners.set(next++, callback);
    if (command === 'removeEventListener') listeners.delete(parameter as number);
  };
  const fire = (data: Omit<TcData, 'listenerId'>) => {
    for (const [listenerId, l] of listeners) l({ ...data, listenerId }, true);
  };
  return { api, listeners, fire };
}

const purposes = (...granted: number[]): TcData => ({
  gdprApplies: true,
  eventStatus: 'useractioncomplete',
  purpose: { consents: Object.fromEntries([1, 2, 3, 4, 5, 6, 7].map((p) => [p, granted.includes(p)])) },
});

/** gtag() pushes its arguments object, not an array. */
function gtag(..._args: unknown[]): IArguments {
  // eslint-disable-next-line prefer-rest-params
  return arguments;
}

function track(host: ConsentHost, initial: ConsentState = 'pending', signals = true) {
  const changes: ConsentState[] = [];
  const tracker = new ConsentTracker(host, initial, signals, (s) => changes.push(s));
  return { tracker, changes };
}

describe('consent from the shop and the browser', () => {
  it('starts pending, or as configured, when no signal is present', () => {
    expect(track({}).tracker.state).toBe('pending');
    expect(track({}, 'granted').tracker.state).toBe('granted');
  });

  it('treats Global Privacy Control as denied, which only the site itself can lift', () => {
    const host: ConsentHost = { navigator: { globalPrivacyControl: true }, dataLayer: [] };
    const { tracker } = track(host, 'granted');
    expect(tracker.state).toBe('denied');
    (host.dataLayer as unknown[]).push(gtag('consent', 'update', { personalization_storage: 'granted' }));
    expect(tracker.state).toBe('denied');
    tracker.set('granted');
    expect(tracker.state).toBe('granted');
  });

  it('needs TCF purposes 1, 5 and 6, is pending while the dialog shows, and follows a withdrawal', () => {
    const cmp = fakeTcf();
    const { tracker, changes } = track({ __tcfapi: cmp.api });
    cmp.fire({ gdprApplies: true, eventStatus: 'cmpuishown' });
    expect(tracker.state).toBe('pending');
    cmp.fire(purposes(1, 5, 6));
    expect(tracker.state).toBe('granted');
    cmp.fire(purposes(1, 3, 4, 5)); // ads purposes do not stand in for content personalisation
    expect(tracker.state).toBe('denied');
    expect(changes).toEqual(['granted', 'denied']);
    tracker.stop();
    expect(cmp.listeners.size).toBe(0);
  });

  it('maps TCData to a state: GDPR not applying grants, unknown statuses say nothing', () => {
    expect(tcfState({ gdprApplies: false })).toBe('granted');
    expect(tcfState({ gdprApplies: true, eventStatus: 'tcloaded', purpose: { consents: { 1: true, 5: true, 6: true } } })).toBe('granted');
    expect(tcfState({ gdprApplies: true, eventStatus: 'tcloaded', purpose: { consents: { 1: true, 5: true } } })).toBe('denied');
    expect(tcfState({ gdprApplies: true, eventStatus: 'something-new' })).toBeNull();
  });

  it('reads Consent Mode personalization_storage pushed before it started and after', () => {
    const dataLayer: unknown[] = [gtag('consent', 'default', { ad_storage: 'denied', personalization_storage: 'denied' })];
    const { tracker, changes } = track({ dataLayer });
    expect(tracker.state).toBe('denied');
    dataLayer.push(gtag('consent', 'update', { personalization_storage: 'granted' }));
    expect(tracker.state).toBe('granted');
    dataLayer.push(gtag('consent', 'update', { ad_storage: 'granted' })); // says nothing about personalisation
    dataLayer.push({ event: 'page_view' });
    expect(tracker.state).toBe('granted');
    expect(changes).toEqual(['denied', 'granted']);
    expect(consentModeState(['consent', 'update', { personalization_storage: 'maybe' }])).toBeNull();
  });

  it('lets the most recent of the site and the CMP decide', () => {
    const cmp = fakeTcf();
    const { tracker } = track({ __tcfapi: cmp.api });
    tracker.set('denied');
    cmp.fire(purposes(1, 5, 6));
    expect(tracker.state).toBe('granted');
    tracker.set('pending');
    expect(tracker.state).toBe('pending');
  });

  it('ignores every signal when consentSignals is off, and survives a CMP stub that throws', () => {
    const cmp = fakeTcf();
    const quiet = track({ navigator: { globalPrivacyControl: true }, __tcfapi: cmp.api }, 'granted', false);
    cmp.fire(purposes());
    expect(quiet.tracker.state).toBe('granted');
    const broken = track({ __tcfapi: () => { throw new Error('stub bug'); } });
    expect(broken.tracker.state).toBe('pending');
  });
});

describe('watching the dataLayer', () => {
  it('replays earlier entries once, keeps the previous push and its return value, and never throws into the page', () => {
    const calls: unknown[] = [];
    const dataLayer: unknown[] = [{ event: 'a' }];
    const previous = dataLayer.push;
    dataLayer.push = function (...items: unknown[]) {
      calls.push('gtm');
      return previous.apply(this, items);
    };
    const seen: unknown[] = [];
    const stop = watchDataLayer({ dataLayer }, (e) => {
      seen.push(e);
      throw new Error('listener bug');
    });
    expect(dataLayer.push({ event: 'b' })).toBe(2);
    expect(calls).toEqual(['gtm']);
    expect(seen).toEqual([{ event: 'a' }, { event: 'b' }]);
    stop();
    dataLayer.push({ event: 'c' });
    expect(seen).toHaveLength(2);
    expect(dataLayer).toHaveLength(3);
  });

  it('creates the dataLayer when the page has none, and leaves a non-array alone', () => {
    const host: { dataLayer?: unknown } = {};
    watchDataLayer(host, () => undefined);
    expect(Array.isArray(host.dataLayer)).toBe(true);
    const odd = { dataLayer: { push: 1 } };
    watchDataLayer(odd, () => undefined);
    expect(odd.dataLayer).toEqual({ push: 1 });
  });
});
