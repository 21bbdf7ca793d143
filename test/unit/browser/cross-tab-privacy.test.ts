/**
 * forget() and a denial in any tab win over work in flight in every other tab (the promise
 * is per browser profile). Runtimes on one fake IndexedDB and one channel hub stand for the
 * tabs; seeded delays interleave a personalisation in one tab with a forget or a denial in
 * another, and nothing derived from the erased events may survive anywhere.
 */
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import { createRng } from '../../../src/data/random';
import { fixtureModel, hubOf, initParams, itemId, makeRuntime, ModelServer, T0, type Harness } from './helpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// In a browser each tab's Worker trains on its own thread, so another tab's forget can land
// while it trains; here every tab shares one thread, so the inner loop takes its time after
// it ran, as a training on another thread would (TRAIN_MS).
const TRAIN_MS = 30;
vi.mock('../../../src/browser/worker-personalise', async (original) => {
  const m = await original<typeof import('../../../src/browser/worker-personalise')>();
  return { ...m, runInnerLoop: async (...args: Parameters<typeof m.runInnerLoop>) => {
    const run = await m.runInnerLoop(...args);
    await new Promise((r) => setTimeout(r, TRAIN_MS));
    return run;
  } };
});
/** Per case; four cases make 60. */
const INTERLEAVINGS = 15;

async function tabs(n: number): Promise<{ tabs: Harness[]; idb: IDBFactory }> {
  const server = new ModelServer(await fixtureModel());
  const idb = new IDBFactory();
  const out: Harness[] = [];
  for (let i = 0; i < n; i++) {
    const h = makeRuntime(server, { idb });
    await h.call('init', initParams());
    out.push(h);
  }
  return { tabs: out, idb };
}

/** What every tab holds afterwards: stored events and weights, and whether any recommends personally. */
async function leftovers(all: Harness[]) {
  const out = [];
  for (const t of all) {
    const data = await t.call('exportData', {});
    const rec = await t.call('recommend', { n: 5 });
    out.push({ events: data.events.length, weights: data.personalWeights !== null, personalised: rec.personalised });
  }
  return out;
}

describe('forget and denial across tabs', () => {
  it.each([
    ['forget()', 2],
    ['forget()', 3],
    ['a denial', 2],
    ['a denial', 3],
  ] as const)(`%s in one tab while another personalises leaves nothing learned from the erased events (%i tabs, ${INTERLEAVINGS} seeded interleavings)`, async (what, n) => {
    const rng = createRng(n * 100 + what.length);
    const failures: string[] = [];
    for (let run = 0; run < INTERLEAVINGS; run++) {
      const { tabs: all, idb } = await tabs(n);
      const [a, b] = all;
      // The other tabs hear of the erasure 0-40 ms late, as a Worker busy training would.
      hubOf(idb).latencyMs = rng.int(41);
      await b.call('track', { events: Array.from({ length: 40 }, (_, k) => ({ item: itemId(k % 50), type: 'view' as const, ts: T0 + k })) });
      // B (and C) personalise; A erases up to twice the training time later.
      const work = all.slice(1).map((t) => t.call('personalise', { steps: 5 }).catch(() => null));
      const delay = rng.int(2 * TRAIN_MS + 1);
      await sleep(delay);
      if (what === 'forget()') await a.call('forget', {});
      else await a.call('consent', { state: 'denied' });
      await Promise.all(work);
      await hubOf(idb).delivered();
      const left = await leftovers(all);
      if (left.some((l) => l.events > 0 || l.weights || l.personalised)) failures.push(`delay ${delay} ms: ${JSON.stringify(left)}`);
    }
    expect(failures).toEqual([]);
  });

  it('a denial in one tab reaches the others before their next write: their track() is refused and nothing is stored', async () => {
    const { tabs: all } = await tabs(3);
    const [a, b, c] = all;
    await a.call('consent', { state: 'denied' });
    await expect(b.call('track', { events: [{ item: itemId(1), type: 'view', ts: T0 }] })).rejects.toHaveCode('consent-required');
    expect((await c.call('status', {})).consent).toBe('denied');
    expect((await a.call('exportData', {})).events).toEqual([]);
    // A grant (in any tab) lifts it for the one that grants.
    await b.call('consent', { state: 'granted' });
    expect((await b.call('track', { events: [{ item: itemId(1), type: 'view', ts: T0 }] })).stored).toBe(1);
  });

  it('a denial while another tab is storing: the store refuses the write in the same transaction', async () => {
    const { tabs: all } = await tabs(2);
    const [a, b] = all;
    const rng = createRng(7);
    for (let run = 0; run < 10; run++) {
      await a.call('consent', { state: 'granted' });
      await b.call('consent', { state: 'granted' });
      const writes = Array.from({ length: 5 }, (_, k) => b.call('track', { events: [{ item: itemId(k), type: 'view', ts: T0 + k }] }).catch(() => null));
      await sleep(rng.int(5));
      await a.call('consent', { state: 'denied' });
      await Promise.all(writes);
      // Whatever order the writes and the denial took, nothing is stored once it returned.
      expect((await a.call('exportData', {})).events).toEqual([]);
    }
  });
});
