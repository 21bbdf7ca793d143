import * as tf from '@tensorflow/tfjs-core';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { BackendName, LocalrecEvent } from '../../../src/browser/types';
import { chooseBackend, type BackendChoice } from '../../../src/browser/worker-backend';
import { BackendMemory, backendKey } from '../../../src/browser/worker-backend-memory';
import { MemoryModelCache } from '../../../src/browser/worker-loader';
import { WorkerRuntime } from '../../../src/browser/worker-runtime';
import { TfjsScorer } from '../../../src/model/scorer-tfjs';
import { fixtureModel, initParams, itemId, ModelServer, T0 } from './helpers';

/** A tfjs choice on the cpu backend, as probeBackends / loadBackend would return it. */
async function cpuChoice(source: 'probed' | 'remembered'): Promise<BackendChoice> {
  await tf.setBackend('cpu');
  return { name: 'cpu', forced: false, source, probes: [{ name: 'cpu', ok: true, ms: 1 }], initMs: 1, scorer: (t) => new TfjsScorer(t), tfjsBytes: () => tf.memory().numBytes };
}

/** A runtime on 'auto' with the real start (plain, pending) and counted stand-ins for the measurement. */
function autoRuntime(server: ModelServer, idb: IDBFactory, loadFails = false) {
  const calls = { probe: 0, load: [] as BackendName[] };
  const events: LocalrecEvent[] = [];
  const runtime = new WorkerRuntime({
    fetch: server.fetch,
    chooseBackend,
    takeover: {
      delayMs: 0,
      probe: async () => (calls.probe++, cpuChoice('probed')),
      load: async (name) => {
        calls.load.push(name);
        if (loadFails) throw new Error('no longer works');
        return cpuChoice('remembered');
      },
    },
    openModelCache: async () => new MemoryModelCache(),
    indexedDB: idb,
    emit: (e) => events.push(e),
  });
  let id = 1;
  const call = <M extends 'init' | 'recommend' | 'status' | 'track' | 'personalise'>(method: M, params: Parameters<WorkerRuntime['handle']>[0]['params']) =>
    runtime.handle({ kind: 'request', id: id++, method, params } as never) as Promise<never>;
  const swapped = async () => {
    for (let i = 0; i < 200 && !events.some((e) => e.type === 'backend' && e.source !== 'pending'); i++) await new Promise((r) => setTimeout(r, 5));
    return events.filter((e) => e.type === 'backend').at(-1);
  };
  return { runtime, calls, events, call, swapped };
}

describe("backend 'auto'", () => {
  it('starts on plain without measuring, measures after the first recommendation, swaps the scorer in and remembers the choice', async () => {
    const server = new ModelServer(await fixtureModel());
    const idb = new IDBFactory();
    const a = autoRuntime(server, idb);
    const status = (await a.call('init', initParams({ backend: 'auto' }))) as { backend: { name: string; source: string; probes: unknown[] } };
    expect(status.backend).toMatchObject({ name: 'plain', source: 'pending', probes: [] });
    // No measurement before a recommendation, however long the Worker waits.
    await new Promise((r) => setTimeout(r, 30));
    expect(a.calls.probe).toBe(0);
    const plain = (await a.call('recommend', { n: 10 })) as { items: { id: string; score: number }[] };
    expect(await a.swapped()).toMatchObject({ backend: 'cpu', source: 'probed' });
    expect(a.calls).toEqual({ probe: 1, load: [] });
    const s = (await a.call('status', {})) as { backend: { name: string; source: string } };
    expect(s.backend).toMatchObject({ name: 'cpu', source: 'probed' });
    // Same ranking on the new scorer.
    const after = (await a.call('recommend', { n: 10 })) as { items: { id: string; score: number }[] };
    expect(after.items.map((r) => r.id)).toEqual(plain.items.map((r) => r.id));
    after.items.forEach((r, i) => expect(r.score).toBeCloseTo(plain.items[i].score, 4));
    // Personal steps still work on the swapped scorer.
    await a.call('track', { events: [0, 3, 6].map((i, k) => ({ item: itemId(i), type: 'view' as const, ts: T0 + k })) });
    expect(await a.call('personalise', { steps: 2 })).toMatchObject({ personalised: true });
    expect(await a.call('recommend', { n: 5 })).toMatchObject({ personalised: true, mode: 'personal' });

    // The next visit (a new Worker, same IndexedDB) loads the remembered backend alone.
    const key = backendKey(server.model.manifest, globalThis.navigator);
    expect(await new BackendMemory(idb).get(key)).toMatchObject({ key, name: 'cpu' });
    const b = autoRuntime(server, idb);
    await b.call('init', initParams({ backend: 'auto' }));
    await b.call('recommend', { n: 10 });
    expect(await b.swapped()).toMatchObject({ backend: 'cpu', source: 'remembered' });
    expect(b.calls).toEqual({ probe: 0, load: ['cpu'] });
  });

  it('measures again when the remembered backend no longer works, and remembers nothing with storage "memory"', async () => {
    const server = new ModelServer(await fixtureModel());
    const idb = new IDBFactory();
    const key = backendKey(server.model.manifest, globalThis.navigator);
    await new BackendMemory(idb).put({ key, name: 'webgl', probes: [], measuredAt: 0 });
    const a = autoRuntime(server, idb, true);
    await a.call('init', initParams({ backend: 'auto' }));
    await a.call('recommend', { n: 3 });
    expect(await a.swapped()).toMatchObject({ backend: 'cpu', source: 'probed' });
    expect(a.calls).toEqual({ probe: 1, load: ['webgl'] });
    expect(await new BackendMemory(idb).get(key)).toMatchObject({ name: 'cpu' });

    const fresh = new IDBFactory();
    const m = autoRuntime(server, fresh);
    await m.call('init', initParams({ backend: 'auto', storage: 'memory' }));
    await m.call('recommend', { n: 3 });
    expect(await m.swapped()).toMatchObject({ source: 'probed' });
    expect(await new BackendMemory(fresh).get(key)).toBeNull();
  });

  it('a forced backend is measured at start and never taken over', async () => {
    const server = new ModelServer(await fixtureModel());
    const a = autoRuntime(server, new IDBFactory());
    const s = (await a.call('init', initParams({ backend: 'plain' }))) as { backend: { name: string; source: string; forced: boolean } };
    expect(s.backend).toMatchObject({ name: 'plain', source: 'forced', forced: true });
    await a.call('recommend', { n: 3 });
    await new Promise((r) => setTimeout(r, 30));
    expect(a.calls).toEqual({ probe: 0, load: [] });
  });
});
