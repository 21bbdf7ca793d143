/**
 * forget() and a denial in one tab win over a personalisation in flight in the other tabs
 * of the origin (DESIGN.md: the promise is per browser profile, not per tab). Two and three
 * tabs share one database; seeded delays put the erasure anywhere from before the other
 * tabs' training starts to after it wrote; after each interleaving nothing derived from the
 * erased events may be stored or recommend personally in any tab.
 */
import type { Page } from '@playwright/test';
import { createRng } from '../../src/data/random';
import { createClient, expect, openHarness, SMALL, test } from './fixtures';

const RUNS_PER_SHAPE = 13; // 2 and 3 tabs × forget and denial: 52 interleavings
const DB = 'cross-tab';

/** Raw counts in the shared database, read behind the SDK's back. */
async function stored(page: Page, dbName = DB) {
  return page.evaluate(async (name) => {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open(name);
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const get = <T>(store: string, read: (s: IDBObjectStore) => IDBRequest<T>) =>
      new Promise<T>((res) => {
        const r = read(db.transaction(store).objectStore(store));
        r.onsuccess = () => res(r.result);
      });
    const out = { events: await get('events', (s) => s.count()), weights: (await get('personal', (s) => s.get('current'))) !== undefined };
    db.close();
    return out;
  }, dbName);
}

test('forget() or a denial in one tab leaves nothing learned from the erased events in any tab (52 seeded interleavings, 2 and 3 tabs)', async ({ page, context }) => {
  test.setTimeout(120_000);
  const pages = [page, await context.newPage(), await context.newPage()];
  await Promise.all(pages.map(openHarness));
  for (const p of pages) await createClient(p, 'c', { model: SMALL, backend: 'wasm', dbName: DB, personaliseDebounceMs: 0, consent: 'granted' });
  const rng = createRng(28);
  const failures: string[] = [];
  let personalisedBefore = 0;
  for (const tabs of [2, 3]) {
    for (const what of ['forget', 'denial'] as const) {
      for (let run = 0; run < RUNS_PER_SHAPE; run++) {
        const [a, ...others] = pages.slice(0, tabs);
        const delay = rng.int(81);
        await others[0].evaluate((start) => window.lrs.c.track(Array.from({ length: 40 }, (_, k) => ({ item: `sku-${String((start + k) % 50).padStart(5, '0')}`, type: 'view' as const }))), run * 7);
        // The other tabs personalise; A erases `delay` ms later.
        await Promise.all(others.map((p) => p.evaluate(() => void ((window as unknown as { training: Promise<unknown> }).training = window.lrs.c.personalise({ steps: 20 }).catch(() => null)))));
        await a.evaluate(
          async ([ms, w]) => {
            await new Promise((r) => setTimeout(r, ms));
            if (w === 'forget') await window.lrs.c.forget();
            else await window.lrs.c.setConsent('denied');
          },
          [delay, what] as const,
        );
        const results = await Promise.all(others.map((p) => p.evaluate(() => (window as unknown as { training: Promise<{ personalised: boolean } | null> }).training)));
        personalisedBefore += results.filter((r) => r?.personalised).length;
        // Every tab hears of the erasure (a BroadcastChannel message), then nothing may be left.
        await page.waitForTimeout(50);
        const left = { db: await stored(a), tabs: [] as unknown[] };
        for (const p of pages.slice(0, tabs)) {
          left.tabs.push(
            await p.evaluate(async () => {
              const [rec, data] = await Promise.all([window.lrs.c.recommend({ n: 5 }), window.lrs.c.exportData()]);
              return { personalised: rec.personalised, events: data.events.length, weights: data.personalWeights !== null };
            }),
          );
        }
        const dirty = left.db.events > 0 || left.db.weights || (left.tabs as { personalised: boolean; events: number; weights: boolean }[]).some((t) => t.personalised || t.events > 0 || t.weights);
        if (dirty) failures.push(`${tabs} tabs, ${what} after ${delay} ms: ${JSON.stringify(left)}`);
        // A denial reached every open tab's Worker (and through it its page); then consent back for the next run.
        if (what === 'denial') for (const p of pages) await expect.poll(() => p.evaluate(() => window.lrs.c.status().then((st) => st.consent))).toBe('denied');
        for (const p of pages) await p.evaluate(() => window.lrs.c.setConsent('granted'));
      }
    }
  }
  expect(failures).toEqual([]);
  // Some personalisations finished before the erasure: the interleavings cover both sides of it.
  expect(personalisedBefore).toBeGreaterThan(0);
});

test('a denial in one tab reaches the other tabs before their next write', async ({ page, context }) => {
  const other = await context.newPage();
  await Promise.all([openHarness(page), openHarness(other)]);
  for (const p of [page, other]) await createClient(p, 'c', { model: SMALL, backend: 'wasm', dbName: 'cross-tab-deny', personaliseDebounceMs: 0, consent: 'granted' });
  await page.evaluate(() => window.lrs.c.setConsent('denied'));
  const code = await other.evaluate(() => window.lrs.c.track({ item: 'sku-00003', type: 'view' }).then(() => 'stored', (e: { code?: string }) => e.code));
  expect(code).toBe('consent-required');
  expect(await stored(page, 'cross-tab-deny').then((s) => s.events)).toBe(0);
  await expect.poll(() => other.evaluate(() => window.lrs.c.status().then((st) => st.consent))).toBe('denied');
  // The shopper grants again in the other tab: it stores again.
  expect(await other.evaluate(() => window.lrs.c.setConsent('granted').then(() => window.lrs.c.track({ item: 'sku-00003', type: 'view' })))).toEqual({ stored: 1, evicted: 0 });
});
