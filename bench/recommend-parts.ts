/**
 * Where the Worker's time in recommend() goes, in Node on the plain scorer: the whole
 * call through WorkerRuntime (events held in memory, fake IndexedDB), then each part on
 * its own — the filter mask, the scoring of every item, the top-n pass — for the 10k-item
 * benchmark fixture (d = 32, hidden = 32) and 20 viewed items, as bench/browser-latency.ts
 * tracks them. Medians of 2000 calls after 50 warm-up calls; prints milliseconds.
 *
 *   npx tsx bench/recommend-parts.ts   (under the heavy lock)
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { WorkerRuntime } from '../src/browser/worker-runtime';
import { MemoryModelCache } from '../src/browser/worker-loader';
import { allowedItems } from '../src/browser/worker-filters';
import { rankRecommendations } from '../src/browser/worker-recommend';
import type { RequestMessage } from '../src/browser/protocol';
import type { StoredEvent } from '../src/browser/types';
import { buildCatalogue } from '../src/model/catalogue';
import { decodeModel } from '../src/model/format';
import { PlainScorer } from '../src/model/scorer';
import { ModelSession } from '../src/model/session';
import { fixtureModel, initParams, ModelServer } from '../test/unit/browser/helpers';

const RUNS = 2000;
const encoded = await fixtureModel({ name: 'large-10k', items: 10_000, categories: 20, seed: 4, d: 32, hidden: 32 });
const server = new ModelServer(encoded);

async function median(f: () => unknown): Promise<number> {
  for (let i = 0; i < 50; i++) await f();
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return Math.round(ms[RUNS >> 1] * 1000) / 1000;
}

const runtime = new WorkerRuntime({
  fetch: server.fetch,
  chooseBackend: async () => ({ name: 'plain', forced: true, source: 'forced', probes: [], initMs: 0, scorer: (t) => new PlainScorer(t), tfjsBytes: () => 0 }),
  openModelCache: async () => new MemoryModelCache(),
  indexedDB: new IDBFactory(),
  // A channel with no other tab: the events are kept in memory, as in the browser.
  channel: () => ({ postMessage() {}, addEventListener() {}, close() {} }),
  emit: () => undefined,
});
let id = 1;
const call = <M extends 'init' | 'track' | 'recommend'>(method: M, params: RequestMessage<M>['params']) => runtime.handle({ kind: 'request', id: id++, method, params });
await call('init', initParams({ backend: 'plain' }));
const model = await decodeModel(encoded.manifest, encoded.files);
const now = Date.now();
const viewed = Array.from({ length: 20 }, (_, i) => model.items[i * 7].id);
await call('track', { events: viewed.map((item, i) => ({ item, type: 'view' as const, ts: now - 60_000 + i })) });

const catalogue = buildCatalogue(model);
const session = new ModelSession(catalogue.weights, model.config, (t) => new PlainScorer(t));
const events: StoredEvent[] = viewed.map((item, i) => ({ seq: i + 1, item, type: 'view', ts: now - 60_000 + i }));
const history = events.map((e) => ({ index: catalogue.index.get(e.item)!, type: e.type, ts: e.ts }));
const tower = model.weights.tower;
const source = { items: catalogue.items, index: catalogue.index, events, unavailable: new Set<string>() };
const scores = await session.scoreShared(tower, [history]);
const allowed = allowedItems({ n: 10 }, source).allowed;

console.log(
  JSON.stringify(
    {
      items: catalogue.items.length,
      recommendMs: await median(() => call('recommend', { n: 10 })),
      filterMaskMs: await median(() => allowedItems({ n: 10 }, source)),
      scoreAllItemsMs: await median(() => session.scoreShared(tower, [history])),
      topNMs: await median(() => rankRecommendations(scores, catalogue.items, allowed, 10)),
    },
    null,
    2,
  ),
);
