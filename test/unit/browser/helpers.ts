/** Node stand-ins for the Worker's environment: an in-memory model server, cpu tfjs, fake IndexedDB. */
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { IDBFactory } from 'fake-indexeddb';
import { encodeModel, type EncodedModel } from '../../../src/model/format';
import { TfjsScorer } from '../../../src/model/scorer-tfjs';
import { DEFAULT_CONTENT, DEFAULT_INNER, DEFAULT_POOLING } from '../../../src/model/weights';
import { fixtureWeights, type FixtureSpec } from '../../fixtures/make-model';
import type { Method, Methods, WorkerInitParams } from '../../../src/browser/protocol';
import { WorkerRuntime } from '../../../src/browser/worker-runtime';
import { MemoryModelCache } from '../../../src/browser/worker-loader';
import type { LocalrecEvent } from '../../../src/browser/types';
import { ChannelHub } from './fake-channel';

export async function fixtureModel(spec: Partial<FixtureSpec> & { name?: string } = {}): Promise<EncodedModel> {
  const full: FixtureSpec = { name: 'small', items: 60, categories: 3, seed: 1, modelVersion: 1, d: 8, hidden: 8, ...spec };
  const { weights, items } = fixtureWeights(full);
  return encodeModel({ name: full.name, modelVersion: full.modelVersion, weights, items, config: { pooling: DEFAULT_POOLING, inner: DEFAULT_INNER, content: DEFAULT_CONTENT } });
}

/** A fetch that serves one model directory at http://models.test/m/, swappable and tamperable. */
export class ModelServer {
  requests: string[] = [];
  tamper: ((path: string, bytes: Uint8Array) => Uint8Array) | null = null;
  constructor(public model: EncodedModel) {}
  readonly fetch = (async (input: RequestInfo | URL) => {
    const url = new URL(String(input));
    this.requests.push(url.pathname);
    const name = url.pathname.replace('/m/', '');
    let bytes: Uint8Array | undefined = name === 'manifest.json' ? new TextEncoder().encode(JSON.stringify(this.model.manifest)) : this.model.files[name];
    if (!bytes) return new Response('not found', { status: 404 });
    if (this.tamper) bytes = this.tamper(name, bytes);
    return new Response(bytes as Uint8Array<ArrayBuffer>);
  }) as typeof fetch;
}

export const MODEL_URL = 'http://models.test/m/manifest.json';

export function initParams(over: Partial<WorkerInitParams> = {}): WorkerInitParams {
  return { modelUrl: MODEL_URL, backend: 'cpu', storage: 'auto', dbName: 'localrec', maxEvents: 1000, personaliseDebounceMs: 0, wasmPath: null, consent: 'granted', ...over };
}

export interface Harness {
  runtime: WorkerRuntime;
  events: LocalrecEvent[];
  call<M extends Method>(method: M, params: Methods[M]['params']): Promise<Methods[M]['result']>;
}

let nextId = 1;
/** One hub per IndexedDB factory: runtimes sharing a database hear each other, as tabs of one origin do. */
const hubs = new WeakMap<object, ChannelHub>();
export function hubOf(idb: IDBFactory | 'global'): ChannelHub {
  const key = idb === 'global' ? globalThis : idb;
  let hub = hubs.get(key);
  if (!hub) hubs.set(key, (hub = new ChannelHub()));
  return hub;
}

/** `idb: 'global'` leaves the runtime to read `globalThis.indexedDB` itself, as the Worker does. */
export function makeRuntime(server: ModelServer, opts: { idb?: IDBFactory | 'global'; cache?: MemoryModelCache } = {}): Harness {
  const events: LocalrecEvent[] = [];
  const cache = opts.cache ?? new MemoryModelCache();
  const idb = opts.idb ?? new IDBFactory();
  const runtime = new WorkerRuntime({
    fetch: server.fetch,
    chooseBackend: async () => {
      await tf.setBackend('cpu');
      return { name: 'cpu', forced: true, source: 'forced', probes: [{ name: 'cpu', ok: true, ms: 0 }], initMs: 0, scorer: (items) => new TfjsScorer(items), tfjsBytes: () => tf.memory().numBytes };
    },
    openModelCache: async () => cache,
    ...(idb === 'global' ? {} : { indexedDB: idb }),
    channel: (name) => hubOf(idb).channel(name),
    emit: (e) => events.push(e),
  });
  return {
    runtime,
    events,
    call: (method, params) => runtime.handle({ kind: 'request', id: nextId++, method, params }),
  };
}

export const T0 = Date.UTC(2024, 5, 1);

/** The fixture catalogue's i-th item id. */
export const itemId = (i: number) => `sku-${String(i).padStart(5, '0')}`;

/**
 * A returning shopper: a runtime that started on the fixture model, viewed `items` and
 * personalised, with the server, IndexedDB and model cache a second start would reuse, and
 * what it had stored (`before`).
 */
export async function returningShopper(items: readonly number[]) {
  const server = new ModelServer(await fixtureModel());
  const idb = new IDBFactory();
  const cache = new MemoryModelCache();
  const first = makeRuntime(server, { idb, cache });
  await first.call('init', initParams());
  await first.call('track', { events: items.map((i, k) => ({ item: itemId(i), type: 'view' as const, ts: T0 + k })) });
  await first.call('personalise', { steps: 2 });
  const before = await first.call('exportData', {});
  return { server, idb, cache, before };
}
