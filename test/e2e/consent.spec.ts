/**
 * Consent in a real browser, one spec per source: the site's setConsent, a TCF v2.2 CMP
 * stub, Google Consent Mode through gtag/dataLayer, and Global Privacy Control. Each
 * checks what is in IndexedDB, not just what the API says.
 */
import type { Page } from '@playwright/test';
import { createClient, expect, openHarness, SMALL, test } from './fixtures';
import { readmeSnippet } from './readme-snippets';

interface ConsentTestWindow {
  __tcfapi?: (cmd: string, version: number, cb: (data: object, ok: boolean) => void) => void;
  fireTcf?: (granted: boolean) => void;
  dataLayer?: unknown[];
  gtag?: (...args: unknown[]) => void;
}

/**
 * Records per store of one database (0 when the store is empty). The personal store's
 * `denied` mark (a denial every tab honours, worker-store.ts) holds no personal data and is
 * not counted; `denied` says whether it is there.
 */
async function stored(page: Page, db: string): Promise<{ events: number; personal: number }> {
  const { denied: _denied, ...counts } = await storedWithMark(page, db);
  return counts;
}

async function storedWithMark(page: Page, db: string): Promise<{ events: number; personal: number; denied: boolean }> {
  return page.evaluate(async (name) => {
    const open = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open(name);
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const count = (store: string) =>
      new Promise<number>((res) => {
        if (!open.objectStoreNames.contains(store)) return res(0);
        const r = open.transaction(store).objectStore(store).count();
        r.onsuccess = () => res(r.result);
      });
    const keys = (store: string) =>
      new Promise<IDBValidKey[]>((res) => {
        if (!open.objectStoreNames.contains(store)) return res([]);
        const r = open.transaction(store).objectStore(store).getAllKeys();
        r.onsuccess = () => res(r.result);
      });
    const personal = await keys('personal');
    const out = { events: await count('events'), personal: personal.filter((k) => k !== 'denied').length, denied: personal.includes('denied') };
    open.close();
    return out;
  }, db);
}

async function trackAndPersonalise(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await window.lrs.a.track([{ item: 'sku-00002', type: 'view' }, { item: 'sku-00005', type: 'purchase' }]);
    await window.lrs.a.personalise();
  });
}

const trackError = (page: Page) => page.evaluate(() => window.lrs.a.track({ item: 'sku-00001', type: 'view' }).then(() => 'stored', (e: { code?: string }) => e.code));

test('setConsent: denied stores nothing, granted stores, denied again deletes everything', async ({ page }) => {
  await openHarness(page);
  await createClient(page, 'a', { model: SMALL, backend: 'wasm', dbName: 'consent-api', personaliseDebounceMs: 0, consent: 'denied' });
  expect(await trackError(page)).toBe('consent-required');
  expect(await storedWithMark(page, 'consent-api')).toEqual({ events: 0, personal: 0, denied: true });
  expect(await page.evaluate(() => window.lrs.a.setConsent('false' as never).then(() => 'ok', (e: { code?: string }) => e.code))).toBe('invalid-argument');

  await page.evaluate(() => window.lrs.a.setConsent('granted'));
  await trackAndPersonalise(page);
  expect(await stored(page, 'consent-api')).toEqual({ events: 2, personal: 1 });
  expect((await page.evaluate(() => window.lrs.a.recommend())).personalised).toBe(true);

  await page.evaluate(() => window.lrs.a.setConsent('denied'));
  expect(await stored(page, 'consent-api')).toEqual({ events: 0, personal: 0 });
  const after = await page.evaluate(async () => ({ rec: await window.lrs.a.recommend(), status: await window.lrs.a.status() }));
  expect(after.rec.personalised).toBe(false);
  expect(after.status.consent).toBe('denied');
});

/**
 * The README's consent snippet, run in the harness one step (blank-line separated) at a
 * time, so each step's effect on IndexedDB is checked. `createLocalrec` is the SDK's; `rec`
 * carries over from step to step.
 */
test("the README's consent snippet: pending stores nothing, granted stores the tracked view, denied deletes it from IndexedDB", async ({ page }) => {
  const steps = readmeSnippet('js').trim().split(/\n\s*\n/);
  expect(steps).toHaveLength(3);
  expect(steps[0]).toMatch(/^const rec = await createLocalrec\(/);
  await openHarness(page);
  const run = (code: string) =>
    page.evaluate(async (body) => {
      const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<unknown>;
      const step = new AsyncFunction('createLocalrec', 'carried', `let rec = carried;\n${body.replace(/^const rec =/m, 'rec =')}\nreturn rec;`);
      window.lrs = { a: (await step(window.localrecHarness.createLocalrec, window.lrs?.a)) as typeof window.lr };
    }, code);
  const consent = () => page.evaluate(async () => (await window.lrs.a.status()).consent);

  await run(steps[0]);
  expect(await consent()).toBe('pending');
  expect(await trackError(page)).toBe('consent-required');
  expect(await stored(page, 'localrec')).toEqual({ events: 0, personal: 0 });

  await run(steps[1]);
  expect(await consent()).toBe('granted');
  // The default 2 s debounce personalises on its own, so withdrawal has weights to delete too.
  await expect.poll(() => stored(page, 'localrec')).toEqual({ events: 1, personal: 1 });
  expect((await page.evaluate(() => window.lrs.a.exportData())).events.map((e) => `${e.type}:${e.item}`)).toEqual(['view:p0001']);

  await run(steps[2]);
  expect(await consent()).toBe('denied');
  expect(await stored(page, 'localrec')).toEqual({ events: 0, personal: 0 });
});

test('a TCF v2.2 CMP: pending while its dialog shows, granted with purposes 1, 5 and 6, withdrawal deletes', async ({ page }) => {
  await openHarness(page);
  await page.evaluate(() => {
    const w = window as unknown as ConsentTestWindow;
    const listeners: ((data: object, ok: boolean) => void)[] = [];
    w.__tcfapi = (cmd, _version, cb) => {
      if (cmd !== 'addEventListener') return;
      listeners.push(cb);
      cb({ gdprApplies: true, eventStatus: 'cmpuishown', listenerId: 1 }, true);
    };
    w.fireTcf = (granted) => {
      const consents = { 1: granted, 5: granted, 6: granted };
      for (const cb of listeners) cb({ gdprApplies: true, eventStatus: 'useractioncomplete', listenerId: 1, purpose: { consents } }, true);
    };
  });
  await createClient(page, 'a', { model: SMALL, backend: 'wasm', dbName: 'consent-tcf', personaliseDebounceMs: 0, consent: 'pending' });
  expect(await trackError(page)).toBe('consent-required');

  await page.evaluate(() => (window as unknown as ConsentTestWindow).fireTcf!(true));
  await expect.poll(() => page.evaluate(async () => (await window.lrs.a.status()).consent)).toBe('granted');
  await trackAndPersonalise(page);
  expect(await stored(page, 'consent-tcf')).toEqual({ events: 2, personal: 1 });

  await page.evaluate(() => (window as unknown as ConsentTestWindow).fireTcf!(false));
  await expect.poll(() => stored(page, 'consent-tcf')).toEqual({ events: 0, personal: 0 });
});

test('Google Consent Mode: personalization_storage from gtag consent commands, before and after start', async ({ page }) => {
  await openHarness(page);
  await page.evaluate(() => {
    const w = window as unknown as ConsentTestWindow;
    w.dataLayer = w.dataLayer || [];
    // The standard gtag snippet: it pushes its arguments object.
    w.gtag = function gtag() {
      // eslint-disable-next-line prefer-rest-params
      w.dataLayer!.push(arguments);
    };
    w.gtag('consent', 'default', { ad_storage: 'denied', personalization_storage: 'denied' });
  });
  await createClient(page, 'a', { model: SMALL, backend: 'wasm', dbName: 'consent-gcm', personaliseDebounceMs: 0 });
  expect((await page.evaluate(() => window.lrs.a.status())).consent).toBe('denied');

  await page.evaluate(() => (window as unknown as ConsentTestWindow).gtag!('consent', 'update', { personalization_storage: 'granted' }));
  await expect.poll(() => page.evaluate(async () => (await window.lrs.a.status()).consent)).toBe('granted');
  await trackAndPersonalise(page);
  expect(await stored(page, 'consent-gcm')).toEqual({ events: 2, personal: 1 });

  await page.evaluate(() => (window as unknown as ConsentTestWindow).gtag!('consent', 'update', { personalization_storage: 'denied' }));
  await expect.poll(() => stored(page, 'consent-gcm')).toEqual({ events: 0, personal: 0 });
});

test('Global Privacy Control means denied, even when the site configured a grant', async ({ page }) => {
  await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
  await openHarness(page);
  const status = await createClient(page, 'a', { model: SMALL, backend: 'wasm', dbName: 'consent-gpc', consent: 'granted' });
  expect(status.consent).toBe('denied');
  expect(await trackError(page)).toBe('consent-required');
  const recs = await page.evaluate(() => window.lrs.a.recommend({ n: 3 }));
  expect(recs.items).toHaveLength(3);
});
